namespace LlmQueue.Contracts;

/// <summary>
/// An HTTP endpoint the worker POSTs the result to (GenerateCompleted or GenerateFailed JSON), signed per Standard
/// Webhooks. Works beside a reply queue or instead of one.
/// </summary>
public sealed record ResultCallback
{
    /// <summary>Absolute https URL (http only where the worker allows it).</summary>
    public string Url { get; init; } = "";

    /// <summary>Which results to deliver: any of <see cref="CallbackEvents"/>; null or empty means all.</summary>
    public IReadOnlyList<string>? Events { get; init; }
}
