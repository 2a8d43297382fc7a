using LlmQueue.Engine.KvCache.Jenga;

namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>
/// An external source and sink of prefix KV blocks (the remote tier), as the scheduler sees it - the shape of
/// vLLM's KV connector: asked after the local prefix match how many further prompt blocks it can supply,
/// told to load them into pages the pool allocated, and offered newly cached blocks. Implementations never
/// block the engine thread on I/O: lookups run in the background and report "not yet".
/// </summary>
public interface IKvConnector
{
    /// <summary>
    /// How many prompt blocks after <paramref name="localBlocks"/> (up to <paramref name="maxBlocks"/>, hashes in
    /// the sequence) are ready to load; 0 for none; null while a lookup for them is in flight (keep the sequence
    /// waiting; the connector wakes the engine when it lands).
    /// </summary>
    int? ReadyBlocks(KvSequence sequence, int localBlocks, int maxBlocks);

    /// <summary>Fills the pages <see cref="JengaKvCache.TryAllocateExternal"/> gave blocks [fromBlock, fromBlock + blocks).</summary>
    void Load(KvSequence sequence, int fromBlock, int blocks);

    /// <summary>Offers the sequence's full blocks cached since the last call (after a commit).</summary>
    void Save(KvSequence sequence);

    /// <summary>The sequence left the engine: drop what is held for it.</summary>
    void Forget(KvSequence sequence);
}
