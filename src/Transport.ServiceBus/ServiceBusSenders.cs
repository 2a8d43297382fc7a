using Azure.Messaging.ServiceBus;

namespace LlmQueue.Transport.ServiceBus;

/// <summary>
/// One ServiceBusSender per destination queue or topic, created on first use and kept (a sender holds an AMQP link;
/// opening one per reply would double every send's cost). Bounded: past <see cref="Capacity"/> destinations the least
/// recently used sender is closed. A destination that refuses a message for good has its sender closed at once.
/// </summary>
internal sealed class ServiceBusSenders(ServiceBusClient client, int capacity = ServiceBusSenders.DefaultCapacity) : IAsyncDisposable
{
    public const int DefaultCapacity = 64;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<(string Entity, ServiceBusSender Sender)>> _byEntity = new(StringComparer.OrdinalIgnoreCase);
    private readonly LinkedList<(string Entity, ServiceBusSender Sender)> _recency = new();
    private bool _disposed;

    public int Capacity => capacity;

    /// <summary>Senders open now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byEntity.Count;
            }
        }
    }

    /// <exception cref="ReplyUndeliverableException">The entity will never take this message (see <see cref="ServiceBusFailures.IsPermanent"/>).</exception>
    /// <remarks>Other exceptions are transient.</remarks>
    public Task SendAsync(string entity, ServiceBusMessage message, CancellationToken cancellationToken) =>
        UseAsync(entity, sender => sender.SendMessageAsync(message, cancellationToken));

    /// <summary>Has the broker hold <paramref name="message"/> until <paramref name="enqueueAt"/> (durably, on the entity).</summary>
    /// <exception cref="ReplyUndeliverableException">The entity will never take this message.</exception>
    public Task ScheduleAsync(string entity, ServiceBusMessage message, DateTimeOffset enqueueAt, CancellationToken cancellationToken) =>
        UseAsync(entity, sender => sender.ScheduleMessageAsync(message, enqueueAt, cancellationToken));

    private async Task UseAsync(string entity, Func<ServiceBusSender, Task> send)
    {
        var sender = Acquire(entity, out var evicted);
        if (evicted is not null)
        {
            await CloseAsync(evicted).ConfigureAwait(false);
        }

        try
        {
            await send(sender).ConfigureAwait(false);
        }
        catch (Exception ex) when (ServiceBusFailures.IsPermanent(ex))
        {
            // A queue created later gets a fresh link; a refused one keeps no link open.
            if (Forget(entity, sender))
            {
                await CloseAsync(sender).ConfigureAwait(false);
            }

            throw new ReplyUndeliverableException(ServiceBusFailures.Describe(ex), ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<ServiceBusSender> open;
        lock (_lock)
        {
            _disposed = true;
            open = [.. _recency.Select(e => e.Sender)];
            _byEntity.Clear();
            _recency.Clear();
        }

        foreach (var sender in open)
        {
            await CloseAsync(sender).ConfigureAwait(false);
        }
    }

    private ServiceBusSender Acquire(string entity, out ServiceBusSender? evicted)
    {
        evicted = null;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_byEntity.TryGetValue(entity, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                return node.Value.Sender;
            }

            if (_byEntity.Count >= capacity && _recency.Last is { } oldest)
            {
                _recency.RemoveLast();
                _byEntity.Remove(oldest.Value.Entity);
                evicted = oldest.Value.Sender;
            }

            var sender = client.CreateSender(entity);
            _byEntity[entity] = _recency.AddFirst((entity, sender));
            return sender;
        }
    }

    private bool Forget(string entity, ServiceBusSender sender)
    {
        lock (_lock)
        {
            if (!_byEntity.TryGetValue(entity, out var node) || node.Value.Sender != sender)
            {
                return false;
            }

            _byEntity.Remove(entity);
            _recency.Remove(node);
            return true;
        }
    }

    /// <summary>A send racing the eviction of its sender may fail as disposed: a transient failure the caller retries.</summary>
    private static async Task CloseAsync(ServiceBusSender sender)
    {
        try
        {
            await sender.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ServiceBusException or ObjectDisposedException or OperationCanceledException)
        {
            // The link failed already; nothing left to release.
        }
    }
}
