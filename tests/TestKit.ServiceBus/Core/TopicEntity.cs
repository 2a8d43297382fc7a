namespace LlmQueue.TestKit.ServiceBus.Core;

/// <summary>A topic: every message sent to it is copied into each of its subscriptions.</summary>
internal sealed class TopicEntity(string path) : IEnqueueTarget
{
    private readonly Dictionary<string, MessageStore> _subscriptions = new(StringComparer.OrdinalIgnoreCase);
    private long _lastSequenceNumber;

    public string Path { get; } = path;

    public IReadOnlyCollection<MessageStore> Subscriptions => _subscriptions.Values;

    public bool TryAddSubscription(string name, MessageStore subscription) => _subscriptions.TryAdd(name, subscription);

    public bool RemoveSubscription(string name) => _subscriptions.Remove(name);

    public MessageStore? FindSubscription(string name) => _subscriptions.GetValueOrDefault(name);

    public string? Refusal(IncomingMessage message) =>
        _subscriptions.Values.Select(s => s.Refusal(message)).FirstOrDefault(r => r is not null);

    public long Enqueue(IncomingMessage message)
    {
        var sequenceNumber = ++_lastSequenceNumber;
        foreach (var subscription in _subscriptions.Values)
        {
            subscription.Enqueue(message, sequenceNumber);
        }

        return sequenceNumber;
    }

    public bool CancelScheduled(long sequenceNumber)
    {
        var cancelled = false;
        foreach (var subscription in _subscriptions.Values)
        {
            cancelled |= subscription.CancelScheduledFromTopic(sequenceNumber);
        }

        return cancelled;
    }
}
