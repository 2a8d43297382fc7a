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

    /// <summary>
    /// Whether every replica receives every CancelGeneration (a fan-out exchange per replica). When false (one shared
    /// subscription), the serving core relays the cancels it receives to the other replicas itself.
    /// </summary>
    bool FansOutCancels { get; }

    /// <summary>
    /// Connects, declares what the worker owns, and starts delivering to <paramref name="handler"/>. A transport that
    /// can choose how many deliveries it takes follows <paramref name="capacity"/> (Service Bus receives only while the
    /// engine has room); the others hold at most WorkerTransportSettings.MaxInFlight and let the serving core's
    /// admission gate wait.
    /// </summary>
    Task StartAsync(IDeliveryHandler handler, ITransportCapacity capacity, CancellationToken cancellationToken);

    /// <summary>
    /// Puts <paramref name="message"/> on <paramref name="queue"/> after <paramref name="delay"/>, durably where the broker
    /// can (the HTTP callback retry queue). Returns once the broker holds it.
    /// </summary>
    Task ScheduleAsync(string queue, OutboundMessage message, TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>Stops taking new deliveries; those in flight go on and are still settled.</summary>
    Task StopReceivingAsync(CancellationToken cancellationToken);
}
