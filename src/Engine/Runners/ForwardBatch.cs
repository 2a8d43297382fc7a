namespace LlmQueue.Engine.Runners;

/// <summary>
/// This step's tokens for one sequence: positions [StartPosition, StartPosition + Tokens.Length).
/// K/V of earlier positions are already in the cache. BlockTables holds one block table per KV layer type
/// of the runner's layout, back to back and of equal length: position p of a layer of type t lives in page
/// BlockTable(t)[p / blockTokens], slot p % blockTokens. A sliding-window type's entries before its window
/// may be -1 (released) and are never read. With NeedsLogits the chunk reaches the end of the sequence and the
/// runner samples the token after it (the chunk's row in <see cref="ForwardBatch.Sampling"/>).
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

/// <summary>
/// One engine step's work for the model runner: the chunks, one sampling row per chunk with NeedsLogits (same order),
/// and the outputs the runner fills. The engine reuses one instance per step; from
/// <see cref="IModelRunner.Launch"/> until <see cref="IModelRunner.Collect"/> returns, it and every array it
/// reaches belong to the runner (see IModelRunner).
/// </summary>
public sealed class ForwardBatch
{
    public List<SequenceChunk> Sequences { get; } = [];

    /// <summary>One row per chunk with NeedsLogits, in batch order.</summary>
    public List<SamplingRow> Sampling { get; } = [];

    public StepOutputs Outputs { get; } = new();

    public int LogitRows => Sequences.Count(s => s.NeedsLogits);

    public int TotalTokens => Sequences.Sum(s => s.Tokens.Length);

    /// <summary>Adds a chunk that only writes K/V (a prefill chunk short of the sequence's end).</summary>
    public void Add(SequenceChunk chunk)
    {
        if (chunk.NeedsLogits)
        {
            throw new ArgumentException("A chunk that needs logits comes with its sampling row.", nameof(chunk));
        }

        Sequences.Add(chunk);
    }

    /// <summary>Adds a chunk that ends its sequence and the row its next token is sampled with.</summary>
    public void Add(SequenceChunk chunk, SamplingRow sampling)
    {
        if (!chunk.NeedsLogits)
        {
            throw new ArgumentException("A chunk with a sampling row must need logits.", nameof(chunk));
        }

        Sequences.Add(chunk);
        Sampling.Add(sampling);
    }

    /// <summary>Empties the batch for the next step (the outputs are resized when the next one is launched).</summary>
    public void Clear()
    {
        Sequences.Clear();
        Sampling.Clear();
    }
}
