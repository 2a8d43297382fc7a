namespace LlmQueue.TestKit.ServiceBus.Core;

/// <summary>A receiver attached to an entity, as the entity sees it.</summary>
internal interface IDeliveryTarget
{
    /// <summary>Messages the receiver will take now.</summary>
    int Credit { get; }

    /// <summary>ReceiveAndDelete: deliveries are settled as they are sent.</summary>
    bool PreSettled { get; }

    /// <summary>The session this receiver holds the lock of; null for a plain receiver.</summary>
    string? SessionId { get; }

    /// <summary>Transfers the message (taking one credit). False if the link is gone.</summary>
    bool Send(StoredMessage message, string entityPath);

    /// <summary>A requested session was locked for this receiver.</summary>
    void OnSessionLocked(string sessionId, DateTime lockedUntil);

    /// <summary>No session could be locked; the attach fails with this condition.</summary>
    void OnSessionRefused(string condition, string description);

    /// <summary>The session lock ran out: the link is detached with session-lock-lost.</summary>
    void OnSessionLockLost();
}
