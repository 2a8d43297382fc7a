using System.Text;
using System.Threading.Channels;
using LlmQueue.TestKit.ServiceBus;
using LlmQueue.TestKit.Serving;
using LlmQueue.Transport;
using LlmQueue.Transport.ServiceBus;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmQueue.Integration.Tests.ServiceBus;

/// <summary>
/// The HTTP callback retry queue on Service Bus: ScheduleAsync leaves the message with the broker until its time, and
/// the callback processor hands it to HandleCallbackAsync and settles it as returned.
/// </summary>
public sealed class ServiceBusCallbackQueueTests(SharedRedis redis) : IClassFixture<SharedRedis>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_delay = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_scheduled_callback_waits_in_the_broker_then_is_served_and_an_abandoned_one_comes_back_as_attempt_2()
    {
        await using var bed = new ServiceBusTestBed(redis.ConnectionString);
        bed.EnsureRequestQueue("requests");
        var handler = new CallbackRecorder(Settlement.Requeue, Settlement.Complete);
        await using var transport = Transport(bed);
        await transport.StartAsync(handler, new NoCapacity(), CancellationToken.None);

        var asked = DateTimeOffset.UtcNow;
        await transport.ScheduleAsync(ServiceBusTestBed.CallbackQueue, Callback("cb-1"), s_delay, CancellationToken.None);

        var first = await handler.NextAsync();
        var second = await handler.NextAsync();
        Assert.Equal(("cb-1", 1, "cb-1", 2), (Encoding.UTF8.GetString(first.Body.Span), first.DeliveryCount, second.MessageId, second.DeliveryCount));
        await bed.Broker.WaitForEventAsync(e => e.EntityPath == ServiceBusTestBed.CallbackQueue && e.Kind == ServiceBusTestEventKind.Completed, s_timeout);
        var events = bed.Broker.GetEvents(ServiceBusTestBed.CallbackQueue);
        // Held by the broker, not by the worker: scheduled, and enqueued no earlier than the time the transport asked
        // for (its clock when scheduling plus the delay; the broker shares the machine's clock). The broker records the
        // schedule when the message arrives, which on a loaded machine is later than the transport asked.
        var scheduled = Assert.Single(events, e => e.Kind == ServiceBusTestEventKind.Scheduled);
        var enqueued = events.First(e => e.Kind == ServiceBusTestEventKind.Enqueued);
        Assert.True(scheduled.Timestamp < enqueued.Timestamp, $"enqueued {enqueued.Timestamp:O} before scheduled {scheduled.Timestamp:O}");
        Assert.True(enqueued.Timestamp >= asked + s_delay - TimeSpan.FromMilliseconds(50), $"enqueued {enqueued.Timestamp:O}, asked for {asked + s_delay:O}");
        Assert.Equal(
            [ServiceBusTestEventKind.Delivered, ServiceBusTestEventKind.Abandoned, ServiceBusTestEventKind.Delivered, ServiceBusTestEventKind.Completed],
            events.Where(e => e.Kind is ServiceBusTestEventKind.Delivered || e.IsSettlement).Select(e => e.Kind));
    }

    [Fact]
    public async Task A_callback_given_up_is_dead_lettered_with_the_reason_the_core_gave()
    {
        await using var bed = new ServiceBusTestBed(redis.ConnectionString);
        bed.EnsureRequestQueue("requests");
        var handler = new CallbackRecorder(Settlement.DeadLetter("callback_expired", "gave up after the retry period"));
        await using var transport = Transport(bed);
        await transport.StartAsync(handler, new NoCapacity(), CancellationToken.None);

        await transport.ScheduleAsync(ServiceBusTestBed.CallbackQueue, Callback("cb-2"), TimeSpan.Zero, CancellationToken.None);

        Assert.Equal("cb-2", (await handler.NextAsync()).MessageId);
        await bed.Broker.WaitForEventAsync(e => e.EntityPath == ServiceBusTestBed.CallbackQueue && e.Kind == ServiceBusTestEventKind.DeadLettered, s_timeout);
        var dead = Assert.Single(bed.Broker.GetDeadLetters(ServiceBusTestBed.CallbackQueue));
        Assert.Equal(("callback_expired", "gave up after the retry period"), (dead.DeadLetterReason, dead.DeadLetterErrorDescription));
    }

    [Fact]
    public async Task Scheduling_onto_a_queue_that_does_not_exist_is_undeliverable()
    {
        await using var bed = new ServiceBusTestBed(redis.ConnectionString);
        await using var transport = Transport(bed);

        await Assert.ThrowsAsync<ReplyUndeliverableException>(() =>
            transport.ScheduleAsync("no-such-callbacks", Callback("cb-3"), s_delay, CancellationToken.None));
    }

    private static ServiceBusWorkerTransport Transport(ServiceBusTestBed bed) => new(
        new ServiceBusOptions { ConnectionString = bed.Broker.ConnectionString, CancelSubscription = ServiceBusTestBed.CancelSubscription },
        new WorkerTransportSettings
        {
            RequestQueue = "requests", CancelTopic = ServiceBusTestBed.CancelTopic, MaxInFlight = 1, CallbackQueue = ServiceBusTestBed.CallbackQueue,
        },
        NullLogger<ServiceBusWorkerTransport>.Instance);

    private static OutboundMessage Callback(string id) => new()
    {
        Body = Encoding.UTF8.GetBytes(id),
        ContentType = "application/json",
        MessageType = "CallbackDelivery",
        MessageId = id,
    };

    /// <summary>Records callback deliveries and settles them with the given outcomes in turn (the last one repeats).</summary>
    private sealed class CallbackRecorder(params Settlement[] outcomes) : IDeliveryHandler
    {
        private readonly Channel<InboundMessage> _received = Channel.CreateUnbounded<InboundMessage>();
        private int _served;

        public Task<InboundMessage> NextAsync() => _received.Reader.ReadAsync().AsTask().WaitAsync(s_timeout);

        public Task<Settlement> HandleCallbackAsync(InboundMessage message)
        {
            _received.Writer.TryWrite(message);
            var served = Interlocked.Increment(ref _served);
            return Task.FromResult(outcomes[Math.Min(served, outcomes.Length) - 1]);
        }

        public Task<Settlement> HandleRequestAsync(InboundMessage message) => throw new InvalidOperationException("no request was sent");

        public void HandleCancel(InboundMessage message) => throw new InvalidOperationException("no cancel was sent");
    }

    /// <summary>The engine takes nothing: only the callback processor receives.</summary>
    private sealed class NoCapacity : ITransportCapacity
    {
        public int Available => 0;

        public event Action? Changed
        {
            add { }
            remove { }
        }
    }
}
