namespace LlmQueue.Engine.KvCache;

/// <summary>
/// Hands out KV blocks to sequences: each sequence's block table grows as its tokens are computed.
/// Owns block ids only; the model runner owns the tensors they index.
/// </summary>
public sealed class KvCacheManager(int numBlocks, int blockSize)
{
    private readonly BlockPool _pool = new(numBlocks);

    public int BlockSize { get; } = blockSize;

    public int TotalBlocks => _pool.Total;

    public int FreeBlocks => _pool.FreeCount;

    /// <summary>Tokens the whole pool can hold.</summary>
    public int CapacityTokens => _pool.Total * BlockSize;

    /// <summary>Grows the table so it covers <paramref name="tokenCount"/> tokens; false (and no change) if the pool is short.</summary>
    public bool TryEnsureCapacity(List<int> blockTable, int tokenCount)
    {
        var needed = BlocksFor(tokenCount) - blockTable.Count;
        return needed <= 0 || _pool.TryAllocate(needed, blockTable);
    }

    public void Free(List<int> blockTable)
    {
        foreach (var block in blockTable)
        {
            _pool.Release(block);
        }

        blockTable.Clear();
    }

    private int BlocksFor(int tokenCount) => (tokenCount + BlockSize - 1) / BlockSize;
}
