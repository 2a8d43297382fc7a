namespace LlmQueue.Engine;

/// <summary>Whose fault a failed start is: the settings (exit code 2) or the model (exit code 3).</summary>
public enum EngineStartFailure
{
    Configuration,
    Model,
}

/// <summary>
/// The engine cannot start, for an expected reason: the message is one line for the operator (what, where, why)
/// and needs no stack trace. Anything else thrown while starting is a bug.
/// </summary>
public sealed class EngineStartException : Exception
{
    public EngineStartException(EngineStartFailure failure, string message, Exception? innerException = null)
        : base(message, innerException) => Failure = failure;

    public EngineStartException()
    {
    }

    public EngineStartException(string message)
        : base(message)
    {
    }

    public EngineStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public EngineStartFailure Failure { get; }
}
