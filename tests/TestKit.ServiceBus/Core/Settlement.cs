namespace LlmQueue.TestKit.ServiceBus.Core;

/// <summary>A receiver's decision about a locked message.</summary>
internal sealed record Settlement(
    SettlementKind Kind,
    string? DeadLetterReason = null,
    string? DeadLetterDescription = null,
    IReadOnlyDictionary<string, object?>? PropertiesToModify = null);
