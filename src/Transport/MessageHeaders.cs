namespace LlmQueue.Transport;

/// <summary>Application header names every transport uses the same way.</summary>
public static class MessageHeaders
{
    /// <summary>The contract name of a JSON body: TokenChunk, GenerateCompleted, GenerateFailed, ...</summary>
    public const string MessageType = "llmq-message-type";

    /// <summary>On a dead-lettered copy: why it was dead-lettered (a code) ...</summary>
    public const string DeadLetterReason = "llmq-dead-letter-reason";

    /// <summary>... and the human-readable description.</summary>
    public const string DeadLetterDescription = "llmq-dead-letter-description";
}
