namespace LlmQueue.TestKit.ServiceBus.Core;

/// <summary>One message held by one entity (queue, subscription or dead-letter sub-queue).</summary>
internal sealed class StoredMessage(long sequenceNumber, IncomingMessage content)
{
    public long SequenceNumber { get; } = sequenceNumber;

    public IncomingMessage Content { get; } = content;

    public string? MessageId => Content.MessageId;

    public string? SessionId => Content.SessionId;

    public MessageState State { get; set; }

    /// <summary>Failed deliveries so far: the AMQP header delivery-count (the SDK shows this + 1).</summary>
    public int DeliveryCount { get; set; }

    public DateTime EnqueuedTime { get; set; }

    public DateTime? ScheduledEnqueueTime { get; set; }

    public TimeSpan? TimeToLive { get; set; }

    public DateTime? ExpiresAt { get; set; }

    public Guid LockToken { get; set; }

    public DateTime LockedUntil { get; set; }

    /// <summary>The receiver holding the lock; null when locked through the management node (deferred receive).</summary>
    public IDeliveryTarget? Holder { get; set; }

    /// <summary>Received by sequence number after a defer: abandon and lock expiry return it to the deferred set.</summary>
    public bool WasDeferred { get; set; }

    /// <summary>Sequence number of the topic-level send this subscription copy came from (0 for queues).</summary>
    public long TopicSequenceNumber { get; init; }

    /// <summary>Application properties the broker added or changed (dead-letter reason, properties-to-modify).</summary>
    public Dictionary<string, object?> PropertyOverrides { get; } = new(StringComparer.Ordinal);

    /// <summary>Copy for another entity (dead-letter sub-queue), keeping the sequence number and the property changes.</summary>
    public StoredMessage CopyForDeadLetter()
    {
        var copy = new StoredMessage(SequenceNumber, Content)
        {
            DeliveryCount = DeliveryCount,
            TimeToLive = TimeToLive,
            ScheduledEnqueueTime = ScheduledEnqueueTime,
        };
        foreach (var (key, value) in PropertyOverrides)
        {
            copy.PropertyOverrides[key] = value;
        }

        return copy;
    }
}
