namespace LlmQueue.TestKit.ServiceBus;

/// <summary>Settings of a queue or subscription, named as in Azure Service Bus.</summary>
public sealed record ServiceBusTestEntityOptions
{
    /// <summary>How long a PeekLock delivery (or a session) stays locked without renewal.</summary>
    public TimeSpan LockDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Deliveries after which an unsettled message is dead-lettered (MaxDeliveryCountExceeded).</summary>
    public int MaxDeliveryCount { get; init; } = 10;

    /// <summary>Messages carry a SessionId and are received through session receivers only.</summary>
    public bool RequiresSession { get; init; }

    /// <summary>Expired messages go to the dead-letter sub-queue (TTLExpiredException) instead of being dropped.</summary>
    public bool DeadLetteringOnMessageExpiration { get; init; }

    /// <summary>Time to live of messages that set none; <see cref="TimeSpan.MaxValue"/> means never.</summary>
    public TimeSpan DefaultMessageTimeToLive { get; init; } = TimeSpan.MaxValue;

    internal void Validate(string entity)
    {
        if (LockDuration <= TimeSpan.Zero || LockDuration > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentException($"{entity}: LockDuration must be within (0, 5 min], got {LockDuration}.");
        }

        if (MaxDeliveryCount < 1)
        {
            throw new ArgumentException($"{entity}: MaxDeliveryCount must be at least 1, got {MaxDeliveryCount}.");
        }

        if (DefaultMessageTimeToLive <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{entity}: DefaultMessageTimeToLive must be positive, got {DefaultMessageTimeToLive}.");
        }
    }
}
