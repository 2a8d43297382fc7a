using LlmQueue.Client;
using LlmQueue.Transport.RabbitMq;
using LlmQueue.Transport.ServiceBus;

namespace LlmQueue.Cli;

/// <summary>
/// Broker options common to both commands; with neither RabbitMq nor ServiceBus set, the worker is embedded (in-memory
/// broker). ServiceBus is generate-only: the workers run elsewhere.
/// </summary>
internal sealed record BrokerSettings(RabbitMqOptions? RabbitMq, string Queue, ServiceBusOptions? ServiceBus = null)
{
    /// <summary>The broker of workers running elsewhere, or null for the embedded worker.</summary>
    public BrokerOptions? Remote => (RabbitMq, ServiceBus) switch
    {
        ({ } rabbit, _) => new BrokerOptions { Kind = BrokerKind.RabbitMq, RabbitMq = rabbit },
        (_, { } serviceBus) => new BrokerOptions { Kind = BrokerKind.ServiceBus, ServiceBus = serviceBus },
        _ => null,
    };
}
