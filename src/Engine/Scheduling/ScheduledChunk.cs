namespace LlmQueue.Engine.Scheduling;

/// <summary>One sequence's share of a step: its next <see cref="TokenCount"/> uncomputed tokens.</summary>
public readonly record struct ScheduledChunk(EngineSequence Sequence, int TokenCount)
{
    /// <summary>The chunk reaches the end of the known tokens, so the step yields a new token.</summary>
    public bool SamplesToken => Sequence.ComputedTokens + TokenCount == Sequence.Length;
}
