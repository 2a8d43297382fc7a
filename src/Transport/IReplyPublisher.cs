namespace LlmQueue.Transport;

/// <summary>
/// Sends replies to client-owned queues. Never declares or changes a client's queue: it addresses the queue as it
/// exists now, and waits until the broker has taken the message.
/// </summary>
public interface IReplyPublisher
{
    /// <exception cref="ReplyUndeliverableException">The address can never take this reply (no such queue, refused).</exception>
    /// <remarks>Any other exception is transient: the same reply may succeed when sent again.</remarks>
    Task PublishAsync(ReplyAddress address, OutboundMessage message, CancellationToken cancellationToken);

    /// <summary>A short, transport-specific reason why <paramref name="queue"/> cannot be a reply address, or null when it can.</summary>
    string? ValidateQueueName(string queue);
}
