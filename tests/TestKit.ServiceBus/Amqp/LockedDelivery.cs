using Amqp;

namespace LlmQueue.TestKit.ServiceBus.Amqp;

/// <summary>An outgoing message that knows its lock token, so the delivery tag can carry it.</summary>
internal sealed class LockedDelivery(Guid lockToken) : Message
{
    public Guid LockToken { get; } = lockToken;
}
