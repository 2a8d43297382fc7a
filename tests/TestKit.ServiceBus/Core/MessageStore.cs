namespace LlmQueue.TestKit.ServiceBus.Core;

/// <summary>
/// The messages of one queue, subscription or dead-letter sub-queue: enqueue and scheduling, PeekLock locks,
/// settlement, delivery counting, expiry and dead-lettering. Every member runs under <see cref="BrokerEnvironment.Gate"/>.
/// </summary>
internal sealed partial class MessageStore : IEnqueueTarget
{
    private readonly BrokerEnvironment _env;
    private readonly SortedDictionary<long, StoredMessage> _messages = [];
    // Indexes over _messages so delivery and sweeps stay cheap with a deep backlog.
    private readonly SortedSet<long> _available = [];
    private int _scheduledCount;
    private int _expiringCount;
    private readonly Dictionary<Guid, StoredMessage> _locked = [];
    private readonly List<IDeliveryTarget> _receivers = [];
    private long _lastSequenceNumber;
    private int _nextReceiver;

    public MessageStore(BrokerEnvironment env, string path, ServiceBusTestEntityOptions options)
        : this(env, path, options, isDeadLetterQueue: false)
    {
    }

    private MessageStore(BrokerEnvironment env, string path, ServiceBusTestEntityOptions options, bool isDeadLetterQueue)
    {
        _env = env;
        Path = path;
        Options = options;
        // The dead-letter sub-queue is never session-enabled, never dead-letters again and keeps messages forever.
        DeadLetterQueue = isDeadLetterQueue
            ? null
            : new MessageStore(env, $"{path}/{EntityRegistry.DeadLetterSegment}", options with
            {
                RequiresSession = false,
                MaxDeliveryCount = int.MaxValue,
                DeadLetteringOnMessageExpiration = false,
                DefaultMessageTimeToLive = TimeSpan.MaxValue,
            }, isDeadLetterQueue: true);
    }

    public string Path { get; }

    public ServiceBusTestEntityOptions Options { get; }

    /// <summary>The entity's dead-letter sub-queue; null for a dead-letter sub-queue itself.</summary>
    public MessageStore? DeadLetterQueue { get; }

    public int LockRenewals { get; private set; }

    public string? Refusal(IncomingMessage message) =>
        Options.RequiresSession && string.IsNullOrEmpty(message.SessionId)
            ? $"The SessionId was not set on a message, and it cannot be sent to the session-enabled entity '{Path}'."
            : null;

    public long Enqueue(IncomingMessage message) => Enqueue(message, topicSequenceNumber: 0);

    public long Enqueue(IncomingMessage message, long topicSequenceNumber)
    {
        var now = _env.UtcNow;
        var stored = new StoredMessage(++_lastSequenceNumber, message)
        {
            TopicSequenceNumber = topicSequenceNumber,
            TimeToLive = EffectiveTimeToLive(message.TimeToLive),
        };
        _messages.Add(stored.SequenceNumber, stored);
        if (Options.RequiresSession && stored.SessionId is { } sessionId)
        {
            GetOrAddSession(sessionId);
        }

        if (message.ScheduledEnqueueTime is { } due && due > now)
        {
            SetState(stored, MessageState.Scheduled);
            stored.ScheduledEnqueueTime = due;
            _env.Record(ServiceBusTestEventKind.Scheduled, Path, stored, due.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            Activate(stored, now);
        }

        Pump();
        return stored.SequenceNumber;
    }

    public bool CancelScheduled(long sequenceNumber)
    {
        if (!_messages.TryGetValue(sequenceNumber, out var message) || message.State != MessageState.Scheduled)
        {
            return false;
        }

        Remove(message);
        _env.Record(ServiceBusTestEventKind.ScheduleCancelled, Path, message);
        return true;
    }

    /// <summary>Cancels this subscription's copy of a scheduled topic message.</summary>
    public bool CancelScheduledFromTopic(long topicSequenceNumber)
    {
        var copy = _messages.Values.FirstOrDefault(m => m.TopicSequenceNumber == topicSequenceNumber && m.State == MessageState.Scheduled);
        return copy is not null && CancelScheduled(copy.SequenceNumber);
    }

    public void AddReceiver(IDeliveryTarget receiver)
    {
        if (!_receivers.Contains(receiver))
        {
            _receivers.Add(receiver);
        }

        Pump();
    }

    /// <summary>A receiver's link closed: its session (if any) is released; plain locks stay until they expire.</summary>
    public void RemoveReceiver(IDeliveryTarget receiver)
    {
        _receivers.Remove(receiver);
        _pendingAccepts.RemoveAll(p => p.Receiver == receiver);
        foreach (var message in _locked.Values.Where(m => m.Holder == receiver))
        {
            message.Holder = null;
        }

        if (receiver.SessionId is { } sessionId && _sessions.TryGetValue(sessionId, out var session) && session.Holder == receiver)
        {
            ReleaseSession(session, lockLost: false);
        }
    }

    /// <summary>Hands available messages to receivers with credit.</summary>
    public void Pump()
    {
        if (Options.RequiresSession)
        {
            PumpSessions();
            return;
        }

        // Message first: the round-robin cursor only moves when a receiver actually gets something.
        while (FirstAvailable(sessionId: null) is { } message && NextReceiverWithCredit() is { } receiver)
        {
            if (!Deliver(message, receiver, lockedUntil: _env.UtcNow + Options.LockDuration))
            {
                _receivers.Remove(receiver);
            }
        }
    }

    public SettleResult Settle(Guid lockToken, Settlement settlement)
    {
        var now = _env.UtcNow;
        if (!_locked.TryGetValue(lockToken, out var message))
        {
            return Options.RequiresSession ? SettleResult.SessionLockLost : SettleResult.MessageLockLost;
        }

        if (message.LockedUntil <= now)
        {
            // The sweep has not run yet; the lock is gone all the same.
            if (!Options.RequiresSession)
            {
                ExpireLock(message);
                Pump();
            }

            return Options.RequiresSession ? SettleResult.SessionLockLost : SettleResult.MessageLockLost;
        }

        _locked.Remove(lockToken);
        message.Holder = null;
        ApplyPropertyChanges(message, settlement.PropertiesToModify);
        switch (settlement.Kind)
        {
            case SettlementKind.Complete:
                Remove(message);
                _env.Record(ServiceBusTestEventKind.Completed, Path, message);
                break;
            case SettlementKind.Abandon:
                _env.Record(ServiceBusTestEventKind.Abandoned, Path, message);
                CountFailedDelivery(message);
                break;
            case SettlementKind.DeadLetter:
                DeadLetter(message, settlement.DeadLetterReason, settlement.DeadLetterDescription);
                break;
            case SettlementKind.Defer:
                SetState(message, MessageState.Deferred);
                message.WasDeferred = true;
                _env.Record(ServiceBusTestEventKind.Deferred, Path, message);
                break;
            case SettlementKind.Release:
                SetState(message, message.WasDeferred ? MessageState.Deferred : MessageState.Available);
                break;
        }

        Pump();
        return SettleResult.Settled;
    }

    /// <summary>Extends a message lock by the lock duration; null if the lock is gone.</summary>
    public DateTime? RenewLock(Guid lockToken)
    {
        var now = _env.UtcNow;
        if (!_locked.TryGetValue(lockToken, out var message) || message.LockedUntil <= now || Options.RequiresSession)
        {
            return null;
        }

        message.LockedUntil = now + Options.LockDuration;
        LockRenewals++;
        _env.Record(ServiceBusTestEventKind.LockRenewed, Path, message,
            message.LockedUntil.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        return message.LockedUntil;
    }

    /// <summary>Messages from a sequence number on, whatever their state (what peek returns).</summary>
    public IReadOnlyList<StoredMessage> Peek(long fromSequenceNumber, int count, string? sessionId) =>
        [.. _messages.Values
            .Where(m => m.SequenceNumber >= fromSequenceNumber && (sessionId is null || m.SessionId == sessionId))
            .Take(Math.Max(0, count))];

    /// <summary>Locks deferred messages by sequence number (or removes them in ReceiveAndDelete); null if one is not deferred.</summary>
    public IReadOnlyList<StoredMessage>? ReceiveDeferred(IReadOnlyList<long> sequenceNumbers, bool receiveAndDelete)
    {
        var found = new List<StoredMessage>(sequenceNumbers.Count);
        foreach (var sequenceNumber in sequenceNumbers)
        {
            if (!_messages.TryGetValue(sequenceNumber, out var message) || message.State != MessageState.Deferred)
            {
                return null;
            }

            found.Add(message);
        }

        var lockedUntil = _env.UtcNow + Options.LockDuration;
        foreach (var message in found)
        {
            if (receiveAndDelete)
            {
                Remove(message);
                _env.Record(ServiceBusTestEventKind.ReceivedAndDeleted, Path, message);
            }
            else
            {
                Lock(message, holder: null, lockedUntil);
                _env.Record(ServiceBusTestEventKind.Delivered, Path, message);
            }
        }

        return found;
    }

    /// <summary>Runs what is due: scheduled messages, lock expiry, message expiry, session accept timeouts.</summary>
    public void Sweep(DateTime now)
    {
        if (_scheduledCount > 0)
        {
            foreach (var message in _messages.Values.Where(m => m.State == MessageState.Scheduled && m.ScheduledEnqueueTime <= now).ToList())
            {
                Activate(message, now);
            }
        }

        if (Options.RequiresSession)
        {
            SweepSessions(now);
        }
        else
        {
            foreach (var message in _locked.Values.Where(m => m.LockedUntil <= now).ToList())
            {
                ExpireLock(message);
            }
        }

        if (_expiringCount > 0)
        {
            foreach (var message in _messages.Values.Where(m => m.State == MessageState.Available && m.ExpiresAt <= now).ToList())
            {
                Expire(message);
            }
        }

        DeadLetterQueue?.Sweep(now);
        Pump();
    }

    public ServiceBusTestEntityCounts Counts() => new(
        Active: _available.Count,
        Locked: _messages.Values.Count(m => m.State == MessageState.Locked),
        Scheduled: _messages.Values.Count(m => m.State == MessageState.Scheduled),
        Deferred: _messages.Values.Count(m => m.State == MessageState.Deferred),
        DeadLettered: DeadLetterQueue?._messages.Count ?? 0);

    public IReadOnlyList<StoredMessage> Messages() => [.. _messages.Values];

    private TimeSpan? EffectiveTimeToLive(TimeSpan? requested)
    {
        // Service Bus uses the shorter of the message's and the entity's time to live.
        var entityDefault = Options.DefaultMessageTimeToLive;
        var ttl = requested is { } r && r < entityDefault ? r : entityDefault;
        return ttl == TimeSpan.MaxValue ? null : ttl;
    }

    private void Activate(StoredMessage message, DateTime now)
    {
        SetState(message, MessageState.Available);
        message.EnqueuedTime = now;
        message.ExpiresAt = message.TimeToLive is { } ttl && DateTime.MaxValue - now > ttl ? now + ttl : null;
        if (message.ExpiresAt is not null)
        {
            _expiringCount++;
        }

        _env.Record(ServiceBusTestEventKind.Enqueued, Path, message);
    }

    private void SetState(StoredMessage message, MessageState state)
    {
        _scheduledCount += (state == MessageState.Scheduled ? 1 : 0) - (message.State == MessageState.Scheduled ? 1 : 0);
        message.State = state;
        if (state == MessageState.Available)
        {
            _available.Add(message.SequenceNumber);
        }
        else
        {
            _available.Remove(message.SequenceNumber);
        }
    }

    private void Remove(StoredMessage message)
    {
        _messages.Remove(message.SequenceNumber);
        _available.Remove(message.SequenceNumber);
        _scheduledCount -= message.State == MessageState.Scheduled ? 1 : 0;
        _expiringCount -= message.ExpiresAt is null ? 0 : 1;
    }

    private IDeliveryTarget? NextReceiverWithCredit()
    {
        for (var i = 0; i < _receivers.Count; i++)
        {
            var index = (_nextReceiver + i) % _receivers.Count;
            if (_receivers[index].Credit > 0)
            {
                _nextReceiver = (index + 1) % _receivers.Count;
                return _receivers[index];
            }
        }

        return null;
    }

    private StoredMessage? FirstAvailable(string? sessionId)
    {
        foreach (var sequenceNumber in _available)
        {
            var message = _messages[sequenceNumber];
            if (sessionId is null || message.SessionId == sessionId)
            {
                return message;
            }
        }

        return null;
    }

    /// <summary>Sends one message; false (message untouched) if the receiver's link is gone.</summary>
    private bool Deliver(StoredMessage message, IDeliveryTarget receiver, DateTime lockedUntil)
    {
        if (receiver.PreSettled)
        {
            if (!receiver.Send(message, Path))
            {
                return false;
            }

            Remove(message);
            _env.Record(ServiceBusTestEventKind.Delivered, Path, message);
            _env.Record(ServiceBusTestEventKind.ReceivedAndDeleted, Path, message);
            return true;
        }

        Lock(message, receiver, lockedUntil);
        if (!receiver.Send(message, Path))
        {
            _locked.Remove(message.LockToken);
            message.Holder = null;
            SetState(message, MessageState.Available);
            return false;
        }

        _env.Record(ServiceBusTestEventKind.Delivered, Path, message);
        return true;
    }

    private void Lock(StoredMessage message, IDeliveryTarget? holder, DateTime lockedUntil)
    {
        SetState(message, MessageState.Locked);
        message.LockToken = Guid.NewGuid();
        message.LockedUntil = lockedUntil;
        message.Holder = holder;
        _locked[message.LockToken] = message;
    }

    private void ExpireLock(StoredMessage message)
    {
        _locked.Remove(message.LockToken);
        message.Holder = null;
        _env.Record(ServiceBusTestEventKind.LockExpired, Path, message);
        CountFailedDelivery(message);
    }

    /// <summary>Abandon and lost locks count a delivery; at MaxDeliveryCount the message is dead-lettered.</summary>
    private void CountFailedDelivery(StoredMessage message)
    {
        if (DeadLetterQueue is not null && message.DeliveryCount + 1 >= Options.MaxDeliveryCount)
        {
            DeadLetter(message, ServiceBusTestBroker.MaxDeliveryCountExceededReason,
                $"Message could not be consumed after {Options.MaxDeliveryCount} delivery attempts.");
            return;
        }

        message.DeliveryCount++;
        SetState(message, message.WasDeferred ? MessageState.Deferred : MessageState.Available);
    }

    private void Expire(StoredMessage message)
    {
        if (Options.DeadLetteringOnMessageExpiration && DeadLetterQueue is not null)
        {
            DeadLetter(message, ServiceBusTestBroker.TtlExpiredReason, "The message expired and was dead lettered.");
            return;
        }

        Remove(message);
        _env.Record(ServiceBusTestEventKind.Expired, Path, message);
    }

    private void DeadLetter(StoredMessage message, string? reason, string? description)
    {
        if (DeadLetterQueue is null)
        {
            // A dead-letter sub-queue does not dead-letter again: the message stays where it is.
            SetState(message, MessageState.Available);
            return;
        }

        Remove(message);
        _env.Record(ServiceBusTestEventKind.DeadLettered, Path, message, reason);
        var copy = message.CopyForDeadLetter();
        if (reason is not null)
        {
            copy.PropertyOverrides[ServiceBusTestBroker.DeadLetterReasonProperty] = reason;
        }

        if (description is not null)
        {
            copy.PropertyOverrides[ServiceBusTestBroker.DeadLetterErrorDescriptionProperty] = description;
        }

        DeadLetterQueue.AcceptDeadLetter(copy);
    }

    private void AcceptDeadLetter(StoredMessage message)
    {
        if (!_messages.TryAdd(message.SequenceNumber, message))
        {
            _env.Log($"{Path}: a dead-lettered message reused sequence number {message.SequenceNumber}; the older copy is kept.");
            return;
        }

        // Dead-lettered messages never expire.
        message.TimeToLive = null;
        Activate(message, _env.UtcNow);
        Pump();
    }

    private static void ApplyPropertyChanges(StoredMessage message, IReadOnlyDictionary<string, object?>? changes)
    {
        if (changes is null)
        {
            return;
        }

        foreach (var (key, value) in changes)
        {
            message.PropertyOverrides[key] = value;
        }
    }
}
