namespace LlmQueue.Client;

public enum BrokerKind
{
    /// <summary>The in-process broker: client and worker must share one <see cref="LlmQueue.Transport.InMemory.InMemoryBroker"/>.</summary>
    InMemory,

    RabbitMq,
}
