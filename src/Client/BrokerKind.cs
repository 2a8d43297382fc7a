namespace LlmQueue.Client;

public enum BrokerKind
{
    /// <summary>MassTransit's in-process transport: client and worker must share one bus.</summary>
    InMemory,

    RabbitMq,
}
