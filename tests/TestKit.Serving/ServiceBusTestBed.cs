using System.Globalization;
using Azure.Messaging.ServiceBus;
using LlmQueue.Serving.Options;
using LlmQueue.TestKit.ServiceBus;
using LlmQueue.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit;

namespace LlmQueue.TestKit.Serving;

/// <summary>
/// Azure Service Bus as the in-process test broker (TestKit.ServiceBus) serves it to the unmodified SDK. The bed owns
/// the broker and creates what a deployment would (the SDK cannot create entities): each worker's request queue as
/// the worker starts, the session-enabled reply queue of the raw producers, the cancel topic and its one shared
/// subscription, and the callback retry queue. Cancels reach one replica through that subscription; the workers relay them through Redis.
/// </summary>
public sealed class ServiceBusTestBed : ITransportTestBed, IAsyncDisposable
{
    public const string ReplyQueue = "raw-replies";
    public const string CancelTopic = "llmq-cancel";
    public const string CancelSubscription = "llmq-workers";
    public const string CallbackQueue = "llmq-callbacks";

    private readonly string _redis;
    private readonly HashSet<string> _requestQueues = new(StringComparer.OrdinalIgnoreCase);
    private readonly ServiceBusClient _inspector;
    private readonly string _redisKeyPrefix = $"llmq-test-{Guid.NewGuid():N}";

    /// <param name="redisConnectionString">The Redis the workers share (prefix tier and cancel relay).</param>
    /// <param name="requestQueueOptions">How request queues are created; by default a 5 s lock and 10 deliveries.</param>
    public ServiceBusTestBed(string redisConnectionString, ServiceBusTestEntityOptions? requestQueueOptions = null)
    {
        _redis = redisConnectionString;
        RequestQueueOptions = requestQueueOptions ?? new ServiceBusTestEntityOptions { LockDuration = TimeSpan.FromSeconds(5), MaxDeliveryCount = 10 };
        // Premium-sized messages: the conformance suite sends a 2 MiB body to see it refused by the worker, not the broker.
        Broker = ServiceBusTestBroker.Start(new ServiceBusTestBrokerOptions { MaxMessageSizeBytes = 4 << 20 });
        // The longest lock Service Bus allows: raw producers hold their session for a whole test without renewing it.
        Broker.CreateQueue(ReplyQueue, new ServiceBusTestEntityOptions { RequiresSession = true, LockDuration = TimeSpan.FromMinutes(5) });
        Broker.CreateTopic(CancelTopic);
        Broker.CreateSubscription(CancelTopic, CancelSubscription);
        Broker.CreateQueue(CallbackQueue, new ServiceBusTestEntityOptions { LockDuration = TimeSpan.FromSeconds(30), MaxDeliveryCount = 10 });
        _inspector = new ServiceBusClient(Broker.ConnectionString);
    }

    public ServiceBusTestBroker Broker { get; }

    public ServiceBusTestEntityOptions RequestQueueOptions { get; }

    public string Name => "Azure Service Bus (test broker)";

    public bool FollowsEngineCapacity => true;

    public IEnumerable<string> WorkerArguments =>
    [
        "--Transport:Kind=ServiceBus",
        $"--Transport:ServiceBus:ConnectionString={Broker.ConnectionString}",
        $"--Transport:ServiceBus:CancelSubscription={CancelSubscription}",
        $"--Transport:CancelTopic={CancelTopic}",
        $"--Callbacks:RetryQueue={CallbackQueue}",
        $"--RedisTier:ConnectionString={_redis}",
        "--RedisTier:Secret=service-bus-test-bed-secret",
        // Cancels are remembered in Redis for minutes; a prefix per bed keeps one run's (or test's) from answering the
        // next one's request of the same id cancelled.
        $"--RedisTier:KeyPrefix={_redisKeyPrefix}",
    ];

    /// <summary>Creates the worker's request queue before its transport starts (a hosted service registered first).</summary>
    public void ConfigureWorker(IServiceCollection services) =>
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(provider =>
            new RequestQueueProvisioner(this, provider.GetRequiredService<IOptions<TransportOptions>>().Value.RequestQueue)));

    /// <summary>Creates <paramref name="queue"/> with <see cref="RequestQueueOptions"/> unless it exists.</summary>
    public void EnsureRequestQueue(string queue)
    {
        lock (_requestQueues)
        {
            if (_requestQueues.Add(queue))
            {
                Broker.CreateQueue(queue, RequestQueueOptions);
            }
        }
    }

    public async Task<RawProducer> ConnectProducerAsync() => await ServiceBusRawProducer.StartAsync(Broker.ConnectionString, ReplyQueue);

    public async Task<IReadOnlyList<DeadLetter>> TakeDeadLettersAsync(string requestQueue, int expected, TimeSpan timeout)
    {
        await using var receiver = _inspector.CreateReceiver(requestQueue, new ServiceBusReceiverOptions
        {
            SubQueue = SubQueue.DeadLetter,
            ReceiveMode = ServiceBusReceiveMode.ReceiveAndDelete,
        });
        var taken = new List<DeadLetter>();
        using var deadline = new CancellationTokenSource(timeout);
        while (taken.Count < expected)
        {
            // Receiving waits for the broker; the deadline bounds it, it is not a timing assertion.
            Assert.False(deadline.IsCancellationRequested, $"{taken.Count} of {expected} dead letters arrived within {timeout}; reasons so far: {string.Join(", ", taken.GroupBy(t => t.Reason).Select(g => $"{g.Key} x{g.Count()}"))}");
            var batch = await receiver.ReceiveMessagesAsync(expected - taken.Count, TimeSpan.FromMilliseconds(200));
            taken.AddRange(batch.Select(m => new DeadLetter(m.Body.ToArray(), m.DeadLetterReason, m.DeadLetterErrorDescription, m.MessageId)));
        }

        return taken;
    }

    public Task<int> UnsettledAsync(string requestQueue) => Task.FromResult(Broker.GetCounts(requestQueue).Locked);

    public async ValueTask DisposeAsync()
    {
        await _inspector.DisposeAsync();
        await Broker.DisposeAsync();
    }

    private sealed class RequestQueueProvisioner(ServiceBusTestBed bed, string queue) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            bed.EnsureRequestQueue(queue);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
