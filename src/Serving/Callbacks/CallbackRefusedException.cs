namespace LlmQueue.Serving.Callbacks;

/// <summary>A callback target the worker will never call (a private address, a scheme not allowed).</summary>
public sealed class CallbackRefusedException : Exception
{
    public CallbackRefusedException()
    {
    }

    public CallbackRefusedException(string message)
        : base(message)
    {
    }

    public CallbackRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
