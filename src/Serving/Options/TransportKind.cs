namespace LlmQueue.Serving.Options;

public enum TransportKind
{
    InMemory,
    RabbitMq,
    ServiceBus,
}
