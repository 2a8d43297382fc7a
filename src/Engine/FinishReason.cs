namespace LlmQueue.Engine;

public enum FinishReason
{
    Stop,
    Length,
    Cancelled,
    Deadline,

    /// <summary>The engine failed (a fault: worth another attempt).</summary>
    Error,

    /// <summary>The output broke a rule the request set (sampling.invalidUtf8 "error"): final, not retried.</summary>
    InvalidOutput,
}
