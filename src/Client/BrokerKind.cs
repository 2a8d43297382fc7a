namespace LlmQueue.Client;

public enum BrokerKind
{
    /// <summary>The in-process broker: client and worker must share one <see cref="LlmQueue.Transport.InMemory.InMemoryBroker"/>.</summary>
    InMemory,

    RabbitMq,

    /// <summary>Azure Service Bus: requests to the request queue, replies on a session of the reply queue.</summary>
    ServiceBus,
}
