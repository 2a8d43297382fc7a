namespace LlmQueue.Contracts;

/// <summary>Values of <see cref="GenerateCompleted.FinishReason"/>.</summary>
public static class FinishReasons
{
    /// <summary>An end-of-sequence token, a stop token id or a stop string.</summary>
    public const string Stop = "stop";

    /// <summary>MaxTokens reached, or the model's context is full.</summary>
    public const string Length = "length";

    public const string Cancelled = "cancelled";

    public const string Deadline = "deadline";
}
