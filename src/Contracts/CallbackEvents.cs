namespace LlmQueue.Contracts;

/// <summary>Values of <see cref="ResultCallback.Events"/>, also sent as the llmq-event header of each callback.</summary>
public static class CallbackEvents
{
    /// <summary>The request finished (finish reason stop, length or deadline): the body is GenerateCompleted.</summary>
    public const string Completed = "completed";

    /// <summary>The request failed: the body is GenerateFailed.</summary>
    public const string Failed = "failed";

    /// <summary>The request was cancelled: the body is GenerateCompleted with finish reason cancelled.</summary>
    public const string Cancelled = "cancelled";
}
