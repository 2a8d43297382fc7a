namespace LlmQueue.Engine.KvCache;

/// <summary>
/// Free list of KV block ids. A stack, so recently freed (cache-warm) blocks are reused first.
/// Not thread-safe: only the engine thread touches it.
/// </summary>
public sealed class BlockPool
{
    private readonly Stack<int> _free;
    private readonly bool[] _inUse;

    public BlockPool(int numBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numBlocks);
        _inUse = new bool[numBlocks];
        _free = new Stack<int>(Enumerable.Range(0, numBlocks).Reverse());
    }

    public int Total => _inUse.Length;

    public int FreeCount => _free.Count;

    /// <summary>Appends <paramref name="count"/> blocks to <paramref name="destination"/>, or none if too few are free.</summary>
    public bool TryAllocate(int count, List<int> destination)
    {
        if (count > _free.Count)
        {
            return false;
        }

        for (var i = 0; i < count; i++)
        {
            var block = _free.Pop();
            _inUse[block] = true;
            destination.Add(block);
        }

        return true;
    }

    public void Release(int block)
    {
        if (!_inUse[block])
        {
            throw new InvalidOperationException($"KV block {block} released twice.");
        }

        _inUse[block] = false;
        _free.Push(block);
    }
}
