namespace LlmQueue.TestKit.ServiceBus;

/// <summary>One entry of the broker's event log.</summary>
/// <param name="Timestamp">Broker time of the event.</param>
/// <param name="Kind">What happened.</param>
/// <param name="EntityPath">Queue, subscription (<c>topic/Subscriptions/name</c>) or dead-letter path (<c>…/$DeadLetterQueue</c>).</param>
/// <param name="SequenceNumber">The message's sequence number in that entity; 0 for session events.</param>
/// <param name="MessageId">The message's MessageId, if any.</param>
/// <param name="SessionId">The message's (or the session event's) SessionId, if any.</param>
/// <param name="DeliveryCount">DeliveryCount of the delivery the event concerns, as the SDK reports it (first delivery = 1); for Enqueued, that of the next delivery.</param>
/// <param name="Detail">Reason of a dead-letter, new lock expiry of a renewal, or similar.</param>
public sealed record ServiceBusTestEvent(
    DateTimeOffset Timestamp,
    ServiceBusTestEventKind Kind,
    string EntityPath,
    long SequenceNumber,
    string? MessageId,
    string? SessionId,
    int DeliveryCount,
    string? Detail)
{
    /// <summary>True for the outcomes a receiver chooses: complete, abandon, dead-letter, defer, receive-and-delete.</summary>
    public bool IsSettlement => Kind is ServiceBusTestEventKind.Completed or ServiceBusTestEventKind.Abandoned
        or ServiceBusTestEventKind.DeadLettered or ServiceBusTestEventKind.Deferred or ServiceBusTestEventKind.ReceivedAndDeleted;
}
