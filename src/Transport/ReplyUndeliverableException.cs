namespace LlmQueue.Transport;

/// <summary>A reply the broker will never route to its address (the queue is gone, the name is refused, ...).</summary>
public sealed class ReplyUndeliverableException : Exception
{
    public ReplyUndeliverableException()
    {
    }

    public ReplyUndeliverableException(string message)
        : base(message)
    {
    }

    public ReplyUndeliverableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
