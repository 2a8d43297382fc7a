namespace LlmQueue.Transport.InMemory;

/// <summary>A producer on an <see cref="InMemoryBroker"/>: a private reply queue, requests to the worker's queue, cancels to the topic.</summary>
public sealed class InMemoryClientTransport(InMemoryBroker broker, string requestQueue, string cancelTopic, string replyQueuePrefix) : IClientTransport
{
    private readonly CancellationTokenSource _stop = new();
    private Task _receiving = Task.CompletedTask;

    public ReplyAddress ReplyAddress { get; } = new($"{replyQueuePrefix}-{Guid.NewGuid():N}");

    public Task StartAsync(Func<InboundMessage, Task> onReply, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onReply);
        var queue = broker.DeclareQueue(ReplyAddress.Queue);
        _receiving = Task.Run(async () =>
        {
            try
            {
                await foreach (var stored in queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
                {
                    await onReply(InMemoryWorkerTransport.ToInbound(stored)).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // Disposed.
            }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task SendRequestAsync(OutboundMessage request, CancellationToken cancellationToken)
    {
        // Like a durable queue: a request sent before any worker started waits for one.
        broker.DeclareQueue(requestQueue);
        broker.TrySend(requestQueue, request);
        return Task.CompletedTask;
    }

    public Task PublishCancelAsync(OutboundMessage cancel, CancellationToken cancellationToken)
    {
        broker.Publish(cancelTopic, cancel);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        broker.DeleteQueue(ReplyAddress.Queue);
        await _receiving.ConfigureAwait(false);
        _stop.Dispose();
    }
}
