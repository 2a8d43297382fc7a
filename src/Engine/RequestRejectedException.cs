namespace LlmQueue.Engine;

/// <summary>Why the engine refused a request before accepting it.</summary>
public enum RejectionReason
{
    InvalidRequest,
    PromptTooLong,
    DeadlineExceeded,
    ModelNotFound,
}

/// <summary>Bad input, found at submit time; the message names the field and the problem.</summary>
public sealed class RequestRejectedException(RejectionReason reason, string message) : Exception(message)
{
    public RejectionReason Reason { get; } = reason;
}
