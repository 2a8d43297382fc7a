namespace LlmQueue.TestKit.ServiceBus;

/// <summary>A copy of a stored message for inspection (dead-letter contents, queue contents).</summary>
/// <param name="SequenceNumber">Sequence number in its entity.</param>
/// <param name="MessageId">MessageId, if set.</param>
/// <param name="SessionId">SessionId, if set.</param>
/// <param name="Subject">Subject (AMQP subject), if set.</param>
/// <param name="DeliveryCount">Delivery count as the SDK would report on the next delivery.</param>
/// <param name="DeadLetterReason">DeadLetterReason application property, if dead-lettered with one.</param>
/// <param name="DeadLetterErrorDescription">DeadLetterErrorDescription application property, if set.</param>
/// <param name="ApplicationProperties">Application properties as the next delivery would carry them.</param>
/// <param name="Body">Concatenated data sections, or the UTF-8 of a string amqp-value body; empty otherwise.</param>
public sealed record ServiceBusTestMessage(
    long SequenceNumber,
    string? MessageId,
    string? SessionId,
    string? Subject,
    int DeliveryCount,
    string? DeadLetterReason,
    string? DeadLetterErrorDescription,
    IReadOnlyDictionary<string, object?> ApplicationProperties,
    ReadOnlyMemory<byte> Body);
