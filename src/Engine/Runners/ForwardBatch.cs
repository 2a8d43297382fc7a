namespace LlmQueue.Engine.Runners;

/// <summary>
/// This step's tokens for one sequence: positions [StartPosition, StartPosition + Tokens.Length).
/// K/V of earlier positions are already in the cache. BlockTables holds one block table per KV layer type
/// of the runner's layout, back to back and of equal length: position p of a layer of type t lives in page
/// BlockTable(t)[p / blockTokens], slot p % blockTokens. A sliding-window type's entries before its window
/// may be -1 (released); a model with one layer type passes its single table.
/// </summary>
public readonly record struct SequenceChunk(
    ReadOnlyMemory<int> Tokens,
    int StartPosition,
    ReadOnlyMemory<int> BlockTables,
    bool NeedsLogits)
{
    /// <summary>The block table of layer type <paramref name="type"/> of <paramref name="typeCount"/>.</summary>
    public ReadOnlySpan<int> BlockTable(int type, int typeCount)
    {
        var blocks = BlockTables.Length / typeCount;
        return BlockTables.Span.Slice(type * blocks, blocks);
    }
}

/// <summary>One engine step's work for the model runner.</summary>
public sealed class ForwardBatch
{
    public List<SequenceChunk> Sequences { get; } = [];

    public int LogitRows => Sequences.Count(s => s.NeedsLogits);

    public int TotalTokens => Sequences.Sum(s => s.Tokens.Length);
}
