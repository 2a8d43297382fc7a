namespace LlmQueue.Contracts;

/// <summary>Values of <see cref="GenerateFailed.Code"/>.</summary>
public static class ErrorCodes
{
    /// <summary>The body is not valid JSON or a field has the wrong JSON type.</summary>
    public const string MalformedMessage = "malformed_message";

    /// <summary>The body is larger than the worker reads (Transport:MaxBodyBytes); it was not parsed.</summary>
    public const string MessageTooLarge = "message_too_large";

    /// <summary>A field is missing or out of range.</summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>The prompt plus at least one generated token does not fit the model's context.</summary>
    public const string PromptTooLong = "prompt_too_long";

    /// <summary>The request names a model this worker does not serve.</summary>
    public const string ModelNotFound = "model_not_found";

    /// <summary>The request's deadline passed before it started.</summary>
    public const string DeadlineExceeded = "deadline_exceeded";

    /// <summary>The generated text broke a rule the request set (sampling.invalidUtf8 "error"); not retried.</summary>
    public const string InvalidOutput = "invalid_output";

    /// <summary>The worker failed while serving the request; details are in its log.</summary>
    public const string Internal = "internal_error";
}
