namespace LlmQueue.TestKit.ServiceBus;

/// <summary>What happened to a message (or session) in the test broker.</summary>
public enum ServiceBusTestEventKind
{
    /// <summary>A message became available in an entity (sent, or its scheduled time came).</summary>
    Enqueued,
    /// <summary>A message was accepted for a later ScheduledEnqueueTime.</summary>
    Scheduled,
    /// <summary>A scheduled message was cancelled before its time.</summary>
    ScheduleCancelled,
    /// <summary>A message was transferred to a receiver (PeekLock: now locked).</summary>
    Delivered,
    /// <summary>A locked message was completed (settled and removed).</summary>
    Completed,
    /// <summary>A ReceiveAndDelete delivery removed the message as it was sent.</summary>
    ReceivedAndDeleted,
    /// <summary>A locked message was abandoned (delivery count + 1, redelivered).</summary>
    Abandoned,
    /// <summary>A message was moved to the dead-letter sub-queue (explicitly, max delivery count, or expiry).</summary>
    DeadLettered,
    /// <summary>A locked message was deferred (receivable by sequence number only).</summary>
    Deferred,
    /// <summary>A message lock was renewed.</summary>
    LockRenewed,
    /// <summary>A message lock ran out without settlement (delivery count + 1, redelivered).</summary>
    LockExpired,
    /// <summary>A message passed its time to live and was dropped.</summary>
    Expired,
    /// <summary>A receiver took the lock of a session.</summary>
    SessionLocked,
    /// <summary>A session lock was renewed.</summary>
    SessionLockRenewed,
    /// <summary>A session lock ended (receiver closed, or the lock ran out).</summary>
    SessionReleased,
}
