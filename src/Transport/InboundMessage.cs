namespace LlmQueue.Transport;

/// <summary>
/// One delivery as the broker handed it over, before anything was parsed: the serving core decides what the
/// body means, so a body that is not even text reaches code that can answer it.
/// </summary>
public sealed record InboundMessage
{
    public required ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The content type the producer set, or null.</summary>
    public string? ContentType { get; init; }

    /// <summary>The transport's own reply address (AMQP reply_to, Service Bus ReplyTo), or null.</summary>
    public string? ReplyTo { get; init; }

    /// <summary>Service Bus ReplyToSessionId: the session replies are sent to on <see cref="ReplyTo"/>.</summary>
    public string? ReplyToSessionId { get; init; }

    /// <summary>1 on first delivery; the broker's count (or a lower bound) after redeliveries.</summary>
    public int DeliveryCount { get; init; } = 1;

    public string? MessageId { get; init; }

    /// <summary>String-valued application headers (others are left out).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Fires when the delivery can no longer be settled (its channel closed, its lock was lost): work on it should
    /// stop; the broker will deliver it again.
    /// </summary>
    public CancellationToken Lost { get; init; }
}
