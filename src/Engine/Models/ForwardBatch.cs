namespace LlmQueue.Engine.Models;

/// <summary>
/// This step's tokens for one sequence: positions [StartPosition, StartPosition + Tokens.Length).
/// K/V of earlier positions are already in the cache at the blocks BlockTable names
/// (position p lives in block BlockTable[p / blockSize], slot p % blockSize).
/// </summary>
public readonly record struct SequenceChunk(
    ReadOnlyMemory<int> Tokens,
    int StartPosition,
    ReadOnlyMemory<int> BlockTable,
    bool NeedsLogits);

/// <summary>One engine step's work for the model runner.</summary>
public sealed class ForwardBatch
{
    public List<SequenceChunk> Sequences { get; } = [];

    public int LogitRows => Sequences.Count(s => s.NeedsLogits);

    public int TotalTokens => Sequences.Sum(s => s.Tokens.Length);
}
