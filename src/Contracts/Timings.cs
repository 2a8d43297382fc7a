namespace LlmQueue.Contracts;

public sealed record Timings
{
    /// <summary>From the worker receiving the message to the engine scheduling it.</summary>
    public double QueuedMs { get; init; }

    /// <summary>From the worker receiving the message to the first generated token.</summary>
    public double TtftMs { get; init; }

    /// <summary>Generated tokens after the first, per second of decode time.</summary>
    public double DecodeTokensPerSec { get; init; }
}
