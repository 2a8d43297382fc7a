namespace LlmQueue.Engine;

public enum FinishReason
{
    Stop,
    Length,
    Cancelled,
    Deadline,
    Error,
}
