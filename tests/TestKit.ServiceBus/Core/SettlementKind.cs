namespace LlmQueue.TestKit.ServiceBus.Core;

internal enum SettlementKind
{
    Complete,
    Abandon,
    DeadLetter,
    Defer,
    /// <summary>AMQP released: back to the entity without counting a delivery.</summary>
    Release,
}
