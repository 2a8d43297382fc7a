namespace LlmQueue.Client;

/// <summary>Which broker a stand-alone client process connects to (section "Transport", like the worker's).</summary>
public sealed class BrokerOptions
{
    public BrokerKind Kind { get; set; } = BrokerKind.InMemory;

    public RabbitMqConnection RabbitMq { get; set; } = new();
}
