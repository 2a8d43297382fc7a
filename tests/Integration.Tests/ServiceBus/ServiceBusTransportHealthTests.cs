using System.Diagnostics;
using LlmQueue.Contracts;
using LlmQueue.TestKit.ServiceBus;
using LlmQueue.TestKit.Serving;
using LlmQueue.Transport;
using LlmQueue.Transport.ServiceBus;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmQueue.Integration.Tests.ServiceBus;

/// <summary>The transport's health as the watchdog reads it: missing entities fault it, a dropped connection recovers.</summary>
public sealed class ServiceBusTransportHealthTests(SharedRedis redis) : IClassFixture<SharedRedis>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_missing_request_queue_faults_the_transport_with_a_reason_naming_it()
    {
        await using var bed = new ServiceBusTestBed(redis.ConnectionString);
        await using var transport = Transport(bed, requestQueue: "no-such-queue");

        await transport.StartAsync(new IdleHandler(), new FixedCapacity(4), CancellationToken.None);

        Assert.Equal(TransportState.Faulted, transport.Health.State);
        Assert.Contains("no-such-queue", transport.Health.Reason, StringComparison.Ordinal);
        Assert.Contains("no such entity", transport.Health.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_cancel_subscription_faults_the_transport_with_a_reason_naming_it()
    {
        await using var bed = new ServiceBusTestBed(redis.ConnectionString);
        bed.EnsureRequestQueue("requests");
        await using var transport = Transport(bed, requestQueue: "requests", cancelSubscription: "nobody");

        await transport.StartAsync(new IdleHandler(), new FixedCapacity(4), CancellationToken.None);

        Assert.Equal(TransportState.Faulted, transport.Health.State);
        Assert.Contains($"{ServiceBusTestBed.CancelTopic}/nobody", transport.Health.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_callback_queue_faults_the_transport_with_a_reason_naming_it()
    {
        await using var bed = new ServiceBusTestBed(redis.ConnectionString);
        bed.EnsureRequestQueue("requests");
        await using var transport = Transport(bed, requestQueue: "requests", callbackQueue: "no-callbacks");

        await transport.StartAsync(new IdleHandler(), new FixedCapacity(4), CancellationToken.None);

        Assert.Equal(TransportState.Faulted, transport.Health.State);
        Assert.Contains("callback queue no-callbacks", transport.Health.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_the_broker_drops_every_connection_the_worker_receives_and_serves_again()
    {
        await using var bed = new ServiceBusTestBed(redis.ConnectionString);
        var queue = $"llmq-sb-{Guid.NewGuid():N}";
        await using var worker = await WorkerInstance.StartAsync(bed, queue, new ScriptedEngine { AutoDeltas = ["ok"] });
        var transport = worker.Services.GetRequiredService<IWorkerTransport>();
        Assert.Equal(TransportState.Receiving, transport.Health.State);

        Assert.True(bed.Broker.DropConnections() > 0);

        await using var producer = await bed.ConnectProducerAsync();
        await producer.PublishAsync(queue, """{"requestId":"after-drop","prompt":"p","replyTo":"REPLY"}""".Replace("REPLY", producer.ReplyQueue, StringComparison.Ordinal));
        var completed = await producer.NextAsync(s_timeout);
        Assert.Equal((nameof(GenerateCompleted), "after-drop"), (completed.Type, completed.Text("requestId")));
        var deadline = Stopwatch.StartNew();
        while (transport.Health.State != TransportState.Receiving)
        {
            Assert.True(deadline.Elapsed < s_timeout, $"still {transport.Health.State}: {transport.Health.Reason}");
            await Task.Delay(20);
        }
    }

    private static ServiceBusWorkerTransport Transport(
        ServiceBusTestBed bed, string requestQueue, string cancelSubscription = ServiceBusTestBed.CancelSubscription, string? callbackQueue = null) => new(
        new ServiceBusOptions { ConnectionString = bed.Broker.ConnectionString, CancelSubscription = cancelSubscription },
        new WorkerTransportSettings { RequestQueue = requestQueue, CancelTopic = ServiceBusTestBed.CancelTopic, MaxInFlight = 4, CallbackQueue = callbackQueue },
        NullLogger<ServiceBusWorkerTransport>.Instance);

    private sealed class IdleHandler : IDeliveryHandler
    {
        public Task<Settlement> HandleRequestAsync(InboundMessage message) => Task.FromResult(Settlement.Complete);

        public Task<Settlement> HandleCallbackAsync(InboundMessage message) => Task.FromResult(Settlement.Complete);

        public void HandleCancel(InboundMessage message)
        {
        }
    }

    private sealed class FixedCapacity(int available) : ITransportCapacity
    {
        public int Available => available;

        public event Action? Changed
        {
            add { }
            remove { }
        }
    }
}
