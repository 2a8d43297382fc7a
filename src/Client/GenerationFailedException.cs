using LlmQueue.Contracts;

namespace LlmQueue.Client;

/// <summary>The worker answered a request with <see cref="GenerateFailed"/>.</summary>
public sealed class GenerationFailedException : Exception
{
    public GenerationFailedException(GenerateFailed failure)
        : base(FormatMessage(failure))
    {
        ArgumentNullException.ThrowIfNull(failure);
        RequestId = failure.RequestId;
        Code = failure.Code;
        WorkerMessage = failure.Message;
    }

    public string RequestId { get; } = "";

    /// <summary>One of <see cref="ErrorCodes"/>.</summary>
    public string Code { get; } = "";

    /// <summary>The worker's human-readable explanation, as sent.</summary>
    public string WorkerMessage { get; } = "";

    private static string FormatMessage(GenerateFailed failure) =>
        failure is null ? "Generation failed." : $"Request '{failure.RequestId}' failed ({failure.Code}): {failure.Message}";
}
