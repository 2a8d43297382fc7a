using LlmQueue.Transport.InMemory;
using LlmQueue.Transport.RabbitMq;
using LlmQueue.Transport.ServiceBus;

namespace LlmQueue.Client;

/// <summary>Which broker a client connects to (the same shape as the worker's "Transport" section).</summary>
public sealed class BrokerOptions
{
    public BrokerKind Kind { get; set; } = BrokerKind.InMemory;

    public RabbitMqOptions RabbitMq { get; set; } = new();

    /// <summary>The namespace, credentials and reply queue (Kind ServiceBus); the worker's Transport:ServiceBus shape.</summary>
    public ServiceBusOptions ServiceBus { get; set; } = new();

    /// <summary>The in-process broker shared with a worker in the same process (Kind InMemory).</summary>
    public InMemoryBroker? InMemory { get; set; }
}
