namespace LlmQueue.TestKit.ServiceBus;

/// <summary>Message counts of one entity at one instant.</summary>
/// <param name="Active">Available for delivery now.</param>
/// <param name="Locked">Delivered in PeekLock and not yet settled (or their lock not yet expired).</param>
/// <param name="Scheduled">Waiting for their ScheduledEnqueueTime.</param>
/// <param name="Deferred">Deferred, receivable by sequence number.</param>
/// <param name="DeadLettered">In the entity's dead-letter sub-queue.</param>
public sealed record ServiceBusTestEntityCounts(int Active, int Locked, int Scheduled, int Deferred, int DeadLettered);
