using LlmQueue.Transport;
using LlmQueue.Transport.InMemory;
using LlmQueue.Transport.RabbitMq;
using LlmQueue.Transport.ServiceBus;

namespace LlmQueue.Client;

/// <summary>The client side of the broker <see cref="BrokerOptions"/> names.</summary>
public static class ClientTransports
{
    public static IClientTransport Create(BrokerOptions broker, InferenceClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(options);
        return broker.Kind switch
        {
            BrokerKind.RabbitMq => new RabbitMqClientTransport(broker.RabbitMq, options.RequestQueue, options.CancelTopic, options.ReplyQueuePrefix),
            BrokerKind.ServiceBus => new ServiceBusClientTransport(ValidServiceBus(broker.ServiceBus), options.RequestQueue, options.CancelTopic, options.ReplyQueuePrefix),
            BrokerKind.InMemory => new InMemoryClientTransport(
                broker.InMemory ?? throw new ArgumentException("BrokerOptions.InMemory must be the worker's broker for Kind InMemory.", nameof(broker)),
                options.RequestQueue, options.CancelTopic, options.ReplyQueuePrefix),
            _ => throw new ArgumentOutOfRangeException(nameof(broker), broker.Kind, "Unknown broker kind."),
        };
    }

    private static ServiceBusOptions ValidServiceBus(ServiceBusOptions options)
    {
        var failures = options.Validate("BrokerOptions.ServiceBus");
        return failures.Count == 0 ? options : throw new ArgumentException(string.Join(" ", failures), nameof(options));
    }
}
