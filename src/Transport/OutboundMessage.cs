namespace LlmQueue.Transport;

/// <summary>A reply (or request, or cancel) ready to go on the wire.</summary>
public sealed record OutboundMessage
{
    public required ReadOnlyMemory<byte> Body { get; init; }

    public required string ContentType { get; init; }

    /// <summary>The contract's name (TokenChunk, GenerateCompleted, ...), sent as <see cref="MessageHeaders.MessageType"/>.</summary>
    public required string MessageType { get; init; }

    /// <summary>The request id: AMQP correlation_id / Service Bus CorrelationId.</summary>
    public string? CorrelationId { get; init; }

    public string? MessageId { get; init; }

    /// <summary>The transport reply address the receiver should answer to (requests only).</summary>
    public string? ReplyTo { get; init; }

    /// <summary>Service Bus: the session of <see cref="ReplyTo"/> to answer on (requests only).</summary>
    public string? ReplyToSessionId { get; init; }

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// False for messages worth less than a disk write (stream chunks: a restarted attempt resends them); brokers may
    /// then keep them in memory only.
    /// </summary>
    public bool Durable { get; init; } = true;
}
