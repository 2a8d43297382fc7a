using System.Globalization;
using LlmQueue.Client;
using LlmQueue.TestKit.Serving;
using LlmQueue.Transport.RabbitMq;

namespace LlmQueue.Integration.Tests;

/// <summary>Client-library producers on the test broker.</summary>
public static class Producers
{
    public static async Task<InferenceClient> StartAsync(RabbitMqServer broker, string requestQueue)
    {
        ArgumentNullException.ThrowIfNull(broker);
        var client = new InferenceClient(
            new BrokerOptions { Kind = BrokerKind.RabbitMq, RabbitMq = new RabbitMqOptions { Host = "127.0.0.1", Port = broker.Port } },
            new InferenceClientOptions { RequestQueue = requestQueue });
        await client.StartAsync();
        return client;
    }

    public static string Port(RabbitMqServer broker) => broker.Port.ToString(CultureInfo.InvariantCulture);
}
