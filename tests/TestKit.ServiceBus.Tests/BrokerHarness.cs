using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;

namespace LlmQueue.TestKit.ServiceBus.Tests;

/// <summary>A started broker plus an unmodified SDK client connected to it; faults the broker logged are kept.</summary>
internal sealed class BrokerHarness : IAsyncDisposable
{
    /// <summary>Upper bound for anything a test waits on; a test that needs it has failed.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly ConcurrentQueue<string> _faults = new();

    private BrokerHarness(ServiceBusTestBrokerOptions options)
    {
        Broker = ServiceBusTestBroker.Start(options with { Log = _faults.Enqueue });
        Client = new ServiceBusClient(Broker.ConnectionString, new ServiceBusClientOptions
        {
            // Fail within the test's patience instead of the SDK's default minute.
            RetryOptions = new ServiceBusRetryOptions { TryTimeout = Patience, MaxRetries = 1, Delay = TimeSpan.FromMilliseconds(100) },
        });
    }

    public ServiceBusTestBroker Broker { get; }

    public ServiceBusClient Client { get; }

    public IReadOnlyCollection<string> Faults => _faults;

    public static BrokerHarness Start(ServiceBusTestBrokerOptions? options = null) => new(options ?? new ServiceBusTestBrokerOptions());

    public async Task SendAsync(string entity, params ServiceBusMessage[] messages)
    {
        await using var sender = Client.CreateSender(entity);
        foreach (var message in messages)
        {
            await sender.SendMessageAsync(message);
        }
    }

    public static async Task<ServiceBusReceivedMessage> ReceiveAsync(ServiceBusReceiver receiver) =>
        await receiver.ReceiveMessageAsync(Patience) ?? throw new TimeoutException($"Nothing arrived on {receiver.EntityPath}.");

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Broker.DisposeAsync();
    }
}
