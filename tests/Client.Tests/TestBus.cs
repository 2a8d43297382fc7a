using LlmQueue.Contracts;
using LlmQueue.Transport;
using LlmQueue.Transport.InMemory;

namespace LlmQueue.Client.Tests;

/// <summary>The in-process broker with a scripted fake worker and an <see cref="InferenceClient"/> wired as in production.</summary>
internal sealed class TestBus : IAsyncDisposable
{
    private readonly InMemoryWorkerTransport _worker;

    private TestBus(InMemoryWorkerTransport worker, InferenceClient client, ResponderScript script)
    {
        _worker = worker;
        Client = client;
        Script = script;
    }

    public InferenceClient Client { get; }

    public ResponderScript Script { get; }

    public static async Task<TestBus> StartAsync(Func<GenerateRequest, IEnumerable<object>> replies)
    {
        var broker = new InMemoryBroker();
        var options = new InferenceClientOptions();
        var script = new ResponderScript(replies);
        var worker = new InMemoryWorkerTransport(broker, new WorkerTransportSettings
        {
            RequestQueue = options.RequestQueue,
            CancelTopic = options.CancelTopic,
            MaxInFlight = 16,
        });
        await worker.StartAsync(new FakeResponder(script, worker), new UnlimitedCapacity(), CancellationToken.None);
        var client = new InferenceClient(new BrokerOptions { Kind = BrokerKind.InMemory, InMemory = broker }, options);
        return new TestBus(worker, client, script);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await _worker.DisposeAsync();
    }
}

/// <summary>The fake worker takes whatever arrives.</summary>
internal sealed class UnlimitedCapacity : ITransportCapacity
{
    public int Available => int.MaxValue;

    public event Action? Changed
    {
        add { }
        remove { }
    }
}
