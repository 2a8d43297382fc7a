namespace LlmQueue.TestKit.ServiceBus.Core;

/// <summary>A session of a session-enabled entity: who holds its lock, until when, and its state blob.</summary>
internal sealed class SessionEntry(string id)
{
    public string Id { get; } = id;

    public IDeliveryTarget? Holder { get; set; }

    public DateTime LockedUntil { get; set; }

    public byte[]? State { get; set; }
}
