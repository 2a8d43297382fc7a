namespace LlmQueue.Serving.Callbacks;

/// <summary>One result on its way to a callback URL; the body of a message in the retry queue between attempts.</summary>
public sealed record CallbackDelivery
{
    /// <summary>Standard Webhooks message id: the same on every attempt, so receivers de-duplicate.</summary>
    public required string WebhookId { get; init; }

    public required string RequestId { get; init; }

    public required string Url { get; init; }

    /// <summary>completed, failed or cancelled (the llmq-event header).</summary>
    public required string Event { get; init; }

    /// <summary>The contract type of <see cref="Body"/> (the llmq-message-type header).</summary>
    public required string MessageType { get; init; }

    /// <summary>The GenerateCompleted or GenerateFailed JSON, sent byte for byte on every attempt (it is what is signed).</summary>
    public required string Body { get; init; }

    public required DateTimeOffset FirstAttemptAt { get; init; }

    /// <summary>Attempts made so far.</summary>
    public int Attempts { get; init; }
}
