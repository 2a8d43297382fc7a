using LlmQueue.Client;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace LlmQueue.Integration.Tests;

/// <summary>A MassTransit producer on the broker: the client library plus a bus to publish cancels.</summary>
public sealed class ProducerBus : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private ProducerBus(ServiceProvider services) => _services = services;

    public InferenceClient Client => _services.GetRequiredService<InferenceClient>();

    public IBus Bus => _services.GetRequiredService<IBus>();

    public static async Task<ProducerBus> StartAsync(RabbitMqBroker broker, string requestQueue)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddInferenceClientBus(new BrokerOptions
        {
            Kind = BrokerKind.RabbitMq,
            RabbitMq = new RabbitMqConnection { Host = "127.0.0.1", Port = checked((ushort)broker.Port) },
        });
        services.AddInferenceClient(options => options.RequestQueue = requestQueue);
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IBusControl>().StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        return new ProducerBus(provider);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await _services.GetRequiredService<IBusControl>().StopAsync();
        await _services.DisposeAsync();
    }
}
