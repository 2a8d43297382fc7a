using System.Collections.Concurrent;

namespace LlmQueue.Transport.InMemory;

/// <summary>
/// Queues and fan-out topics inside one process, with a broker's delivery rules: a message stays in its queue until
/// settled, a requeue counts a delivery, a message sent to a queue that does not exist is refused. Share one
/// instance between the worker and the clients of the process.
/// </summary>
public sealed class InMemoryBroker
{
    private readonly ConcurrentDictionary<string, InMemoryEntity> _queues = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, InMemoryEntity>> _topics = new(StringComparer.Ordinal);

    /// <summary>The queue named <paramref name="name"/>, created when missing.</summary>
    public InMemoryEntity DeclareQueue(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _queues.GetOrAdd(name, n => new InMemoryEntity(n));
    }

    public bool TryGetQueue(string name, out InMemoryEntity queue) => _queues.TryGetValue(name, out queue!);

    /// <summary>Removes the queue and its messages (a client going away).</summary>
    public void DeleteQueue(string name)
    {
        if (_queues.TryRemove(name, out var queue))
        {
            foreach (var subscribers in _topics.Values)
            {
                subscribers.TryRemove(name, out _);
            }

            queue.Close();
        }
    }

    /// <summary>Adds <paramref name="message"/> to queue <paramref name="queue"/>; false when there is no such queue.</summary>
    public bool TrySend(string queue, OutboundMessage message) =>
        _queues.TryGetValue(queue, out var target) && target.TryEnqueue(new StoredMessage(message, DeliveryCount: 1));

    /// <summary>Every queue subscribed to <paramref name="topic"/> receives a copy.</summary>
    public int Publish(string topic, OutboundMessage message)
    {
        if (!_topics.TryGetValue(topic, out var subscribers))
        {
            return 0;
        }

        return subscribers.Values.Count(queue => queue.TryEnqueue(new StoredMessage(message, DeliveryCount: 1)));
    }

    public void Subscribe(string topic, InMemoryEntity queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        _topics.GetOrAdd(topic, _ => new ConcurrentDictionary<string, InMemoryEntity>(StringComparer.Ordinal))[queue.Name] = queue;
    }
}
