using LlmQueue.TestKit.ServiceBus.Core;

namespace LlmQueue.TestKit.ServiceBus.Tests.Core;

/// <summary>A receiver stand-in that records what the store hands it.</summary>
internal sealed class RecordingTarget(int credit, bool preSettled = false) : IDeliveryTarget
{
    public int Credit { get; set; } = credit;

    public bool PreSettled { get; } = preSettled;

    public string? SessionId { get; private set; }

    public List<(long SequenceNumber, int DeliveryCount, Guid LockToken)> Received { get; } = [];

    public string? RefusedWith { get; private set; }

    public bool LockLost { get; private set; }

    public bool Send(StoredMessage message, string entityPath)
    {
        Credit--;
        Received.Add((message.SequenceNumber, message.DeliveryCount, message.LockToken));
        return true;
    }

    public void OnSessionLocked(string sessionId, DateTime lockedUntil) => SessionId = sessionId;

    public void OnSessionRefused(string condition, string description) => RefusedWith = condition;

    public void OnSessionLockLost() => LockLost = true;
}
