using LlmQueue.Contracts;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace LlmQueue.Client.Tests;

/// <summary>An in-memory bus with a scripted fake worker and an <see cref="InferenceClient"/> wired as in production.</summary>
internal sealed class TestBus : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly IBusControl _bus;

    private TestBus(ServiceProvider services, IBusControl bus)
    {
        _services = services;
        _bus = bus;
    }

    public InferenceClient Client => _services.GetRequiredService<InferenceClient>();

    public ResponderScript Script => _services.GetRequiredService<ResponderScript>();

    public static async Task<TestBus> StartAsync(Func<GenerateRequest, IEnumerable<object>> replies)
    {
        var services = new ServiceCollection();
        services.AddSingleton(new ResponderScript(replies));
        services.AddMassTransit(bus =>
        {
            bus.AddConsumer<FakeResponder>().Endpoint(e => e.Name = new InferenceClientOptions().RequestQueue);
            bus.AddConsumer<CancelListener>();
            bus.UsingBroker(new BrokerOptions { Kind = BrokerKind.InMemory });
        });
        services.AddInferenceClient();
        var provider = services.BuildServiceProvider();
        var control = provider.GetRequiredService<IBusControl>();
        using var guard = new CancellationTokenSource(TestContext.Guard);
        await control.StartAsync(guard.Token);
        return new TestBus(provider, control);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await _bus.StopAsync();
        await _services.DisposeAsync();
    }
}
