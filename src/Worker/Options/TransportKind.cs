namespace LlmQueue.Worker.Options;

public enum TransportKind
{
    InMemory,
    RabbitMq,
}
