namespace LlmQueue.Transport;

/// <summary>
/// The worker's side of one broker: delivers requests and cancels to a handler, settles each request as the
/// handler says, and publishes replies. Each transport is one project implementing this.
/// </summary>
public interface IWorkerTransport : IAsyncDisposable
{
    /// <summary>e.g. "RabbitMQ 127.0.0.1:5672 queue llmq-generate", for logs.</summary>
    string Description { get; }

    IReplyPublisher Replies { get; }

    TransportHealth Health { get; }

    /// <summary>Connects, declares what the worker owns, and starts delivering to <paramref name="handler"/>.</summary>
    Task StartAsync(IDeliveryHandler handler, CancellationToken cancellationToken);

    /// <summary>Stops taking new deliveries; those in flight go on and are still settled.</summary>
    Task StopReceivingAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Moves a message that has no delivery behind it (e.g. a request whose reply target is gone) to the
    /// dead-letter queue with a reason. Used for copies; deliveries are dead-lettered through their settlement.
    /// </summary>
    Task DeadLetterCopyAsync(InboundMessage message, string reason, string description, CancellationToken cancellationToken);
}
