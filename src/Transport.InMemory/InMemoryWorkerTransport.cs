using System.Collections.Concurrent;

namespace LlmQueue.Transport.InMemory;

/// <summary>The worker on an <see cref="InMemoryBroker"/>: its request queue, a cancel queue of its own, replies to client queues.</summary>
/// <param name="time">Clock of scheduled messages (tests move a fake one).</param>
public sealed class InMemoryWorkerTransport(InMemoryBroker broker, WorkerTransportSettings settings, TimeProvider? time = null) : IWorkerTransport, IReplyPublisher
{
    /// <summary>Callback deliveries served at once (each is one HTTP POST).</summary>
    private const int CallbackConcurrency = 8;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly CancellationTokenSource _stopReceiving = new();
    private readonly string _cancelQueue = $"{settings.CancelTopic}-{Guid.NewGuid():N}";
    private readonly ConcurrentDictionary<Task, byte> _loops = new();
    private volatile TransportHealth _health = TransportHealth.Now(TransportState.Starting);
    private int _disposed;

    public string Description => $"in-memory broker, queue {settings.RequestQueue}";

    public IReplyPublisher Replies => this;

    public TransportHealth Health => _health;

    public bool FansOutCancels => true;

    public Task StartAsync(IDeliveryHandler handler, ITransportCapacity capacity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var requests = broker.DeclareQueue(settings.RequestQueue);
        broker.DeclareQueue(settings.ErrorQueue);
        var cancels = broker.DeclareQueue(_cancelQueue);
        broker.Subscribe(settings.CancelTopic, cancels);
        Track(Task.Run(() => ReceiveAsync(requests, settings.ErrorQueue, settings.MaxInFlight, handler.HandleRequestAsync), CancellationToken.None));
        if (settings.CallbackQueue is { } callbackQueue)
        {
            var callbacks = broker.DeclareQueue(callbackQueue);
            broker.DeclareQueue(settings.CallbackErrorQueue!);
            Track(Task.Run(() => ReceiveAsync(callbacks, settings.CallbackErrorQueue!, CallbackConcurrency, handler.HandleCallbackAsync), CancellationToken.None));
        }

        Track(Task.Run(() => ReceiveCancelsAsync(cancels, handler), CancellationToken.None));
        _health = TransportHealth.Now(TransportState.Receiving);
        return Task.CompletedTask;
    }

    public async Task StopReceivingAsync(CancellationToken cancellationToken)
    {
        await _stopReceiving.CancelAsync().ConfigureAwait(false);
        _health = TransportHealth.Now(TransportState.Stopped, "stopped receiving");
    }

    public Task PublishAsync(ReplyAddress address, OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        return broker.TrySend(address.Queue, message)
            ? Task.CompletedTask
            : Task.FromException(new ReplyUndeliverableException($"no queue named '{address.Queue}' exists"));
    }

    public string? ValidateQueueName(string queue) => QueueNames.Check(queue, 255);

    public async ValueTask DisposeAsync()
    {
        // The host closes it at the end of the drain; the container disposes it again.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopReceiving.CancelAsync().ConfigureAwait(false);
        broker.DeleteQueue(_cancelQueue);
        await Task.WhenAll(_loops.Keys).ConfigureAwait(false);
        _stopReceiving.Dispose();
    }

    public Task ScheduleAsync(string queue, OutboundMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        broker.DeclareQueue(queue);
        Track(Task.Run(async () =>
        {
            try
            {
                await Task.Delay(delay, _time, _stopReceiving.Token).ConfigureAwait(false);
                broker.TrySend(queue, message);
            }
            catch (OperationCanceledException)
            {
                // Not durable: an in-process broker loses what is scheduled when the worker stops.
            }
        }, CancellationToken.None));
        return Task.CompletedTask;
    }

    private async Task ReceiveAsync(InMemoryEntity queue, string errorQueue, int concurrency, Func<InboundMessage, Task<Settlement>> handle)
    {
        // Not disposed when the loop ends: deliveries still in flight release their slot later.
        var slots = new SemaphoreSlim(concurrency, concurrency);
        var stop = _stopReceiving.Token;
        try
        {
            while (true)
            {
                await slots.WaitAsync(stop).ConfigureAwait(false);
                var stored = await queue.Reader.ReadAsync(stop).ConfigureAwait(false);
                queue.MarkDelivered();
                Track(Task.Run(async () =>
                {
                    try
                    {
                        var settlement = await handle(ToInbound(stored)).ConfigureAwait(false);
                        Settle(queue, errorQueue, stored, settlement);
                    }
                    finally
                    {
                        queue.MarkSettled();
                        slots.Release();
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped receiving; deliveries in flight are settled as they finish.
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            _health = TransportHealth.Now(TransportState.Faulted, $"queue {queue.Name} was deleted");
        }
    }

    private async Task ReceiveCancelsAsync(InMemoryEntity queue, IDeliveryHandler handler)
    {
        try
        {
            await foreach (var stored in queue.Reader.ReadAllAsync(_stopReceiving.Token).ConfigureAwait(false))
            {
                handler.HandleCancel(ToInbound(stored));
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private void Settle(InMemoryEntity queue, string errorQueue, StoredMessage stored, Settlement settlement)
    {
        switch (settlement.Kind)
        {
            case SettlementKind.Requeue when stored.DeliveryCount >= settings.MaxDeliveries:
                DeadLetter(errorQueue, stored.Message, "max_deliveries", $"delivered {stored.DeliveryCount} times without being settled");
                break;
            case SettlementKind.Requeue:
                queue.TryEnqueue(stored with { DeliveryCount = stored.DeliveryCount + 1 });
                break;
            case SettlementKind.DeadLetter:
                DeadLetter(errorQueue, stored.Message, settlement.Reason ?? "dead_lettered", settlement.Description ?? "");
                break;
        }
    }

    private void DeadLetter(string errorQueue, OutboundMessage message, string reason, string description)
    {
        var headers = new Dictionary<string, string>(message.Headers, StringComparer.Ordinal)
        {
            [MessageHeaders.DeadLetterReason] = reason,
            [MessageHeaders.DeadLetterDescription] = description,
        };
        broker.TrySend(errorQueue, message with { Headers = headers });
    }

    private void Track(Task loop)
    {
        _loops.TryAdd(loop, 0);
        loop.ContinueWith(t => _loops.TryRemove(t, out _), TaskScheduler.Default);
    }

    internal static InboundMessage ToInbound(StoredMessage stored) => new()
    {
        Body = stored.Message.Body,
        ContentType = stored.Message.ContentType,
        ReplyTo = stored.Message.ReplyTo,
        ReplyToSessionId = stored.Message.ReplyToSessionId,
        MessageId = stored.Message.MessageId,
        DeliveryCount = stored.DeliveryCount,
        // The message type travels as a header, as on the other transports.
        Headers = string.IsNullOrEmpty(stored.Message.MessageType)
            ? stored.Message.Headers
            : new Dictionary<string, string>(stored.Message.Headers, StringComparer.Ordinal) { [MessageHeaders.MessageType] = stored.Message.MessageType },
    };
}
