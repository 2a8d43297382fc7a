namespace LlmQueue.Contracts;

/// <summary>The request could not be served; sent instead of <see cref="GenerateCompleted"/>.</summary>
public sealed record GenerateFailed
{
    /// <summary>The request's id, or empty when the body was unreadable.</summary>
    public string RequestId { get; init; } = "";

    public int Attempt { get; init; }

    /// <summary>Machine-readable, one of <see cref="ErrorCodes"/>.</summary>
    public string Code { get; init; } = "";

    /// <summary>Human-readable; names the offending field where there is one.</summary>
    public string Message { get; init; } = "";
}
