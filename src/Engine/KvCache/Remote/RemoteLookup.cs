namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>
/// One sequence's remote prefix lookup: the verified payloads fetched per (layer type, block) - null for a miss -
/// and, once finished, the hit it found (in blocks). Fetches for different types land concurrently.
/// </summary>
internal sealed class RemoteLookup(int localBlocks, int maxBlocks)
{
    private readonly Dictionary<(int Type, int Block), ReadOnlyMemory<byte>?> _payloads = [];
    private readonly TaskCompletionSource<int> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The local hit when the lookup started; blocks from here on were asked for.</summary>
    public int LocalBlocks { get; } = localBlocks;

    public int MaxBlocks { get; } = maxBlocks;

    /// <summary>The hit, in blocks (LocalBlocks when nothing usable came back).</summary>
    public Task<int> Done => _done.Task;

    public void Store(int type, IReadOnlyList<int> blocks, ReadOnlyMemory<byte>?[] found)
    {
        lock (_payloads)
        {
            for (var i = 0; i < blocks.Count; i++)
            {
                _payloads[(type, blocks[i])] = found[i];
            }
        }
    }

    public bool Fetched(int type, int block)
    {
        lock (_payloads)
        {
            return _payloads.ContainsKey((type, block));
        }
    }

    public ReadOnlyMemory<byte>? Payload(int type, int block)
    {
        lock (_payloads)
        {
            return _payloads.GetValueOrDefault((type, block));
        }
    }

    public void Finish(int hit) => _done.TrySetResult(hit);

    /// <summary>After loading: the pages hold the bytes now.</summary>
    public void ReleasePayloads()
    {
        lock (_payloads)
        {
            _payloads.Clear();
        }
    }
}
