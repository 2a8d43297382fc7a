namespace LlmQueue.Serving.Requests;

/// <summary>A request the worker refuses; <see cref="Code"/> is one of LlmQueue.Contracts.ErrorCodes.</summary>
public sealed class InvalidRequestException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
