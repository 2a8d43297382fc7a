using System.Diagnostics;
using System.Text;
using LlmQueue.Contracts;
using LlmQueue.Serving.Admission;
using LlmQueue.TestKit.ServiceBus;
using LlmQueue.TestKit.Serving;
using Microsoft.Extensions.DependencyInjection;

namespace LlmQueue.Integration.Tests.ServiceBus;

/// <summary>
/// What only Service Bus has, through the real SDK against the test broker: lock renewal, the entity's own
/// maxDeliveryCount, intake following the engine's free capacity (the broker's lock count), the shared cancel subscription
/// relayed to every replica, abandon on stop, and per-session reply order.
/// </summary>
public sealed class ServiceBusWorkerTests(SharedRedis redis) : IClassFixture<SharedRedis>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_2s_lock_is_renewed_through_a_6s_generation_and_the_request_is_delivered_once()
    {
        await using var bed = new ServiceBusTestBed(redis.ConnectionString, new ServiceBusTestEntityOptions { LockDuration = TimeSpan.FromSeconds(2), MaxDeliveryCount = 5 });
        var queue = NewQueue();
        var engine = new ScriptedEngine();
        await using var worker = await WorkerInstance.StartAsync(bed, queue, engine);
        await using var producer = await bed.ConnectProducerAsync();

        await producer.PublishAsync(queue, Request("long", producer.ReplyQueue, stream: true));
        var generation = await engine.NextSubmittedAsync();
        generation.Emit("a");
        Assert.Equal(nameof(TokenChunk), (await producer.NextAsync()).Type);
        // The scenario itself: the generation runs for three lock durations (not a timing assertion).
        await Task.Delay(TimeSpan.FromSeconds(6));
        generation.Emit("b");
        generation.Finish(Engine.FinishReason.Length);

        Assert.Equal(nameof(TokenChunk), (await producer.NextAsync()).Type);
        var completed = await producer.NextAsync();
        Assert.Equal((nameof(GenerateCompleted), 1, "ab"), (completed.Type, completed.Number("attempt"), completed.Text("text")));
        await EventuallyAsync(() => bed.Broker.GetEvents(queue).Any(e => e.Kind == ServiceBusTestEventKind.Completed));
        var events = bed.Broker.GetEvents(queue);
        Assert.Single(events, e => e.Kind == ServiceBusTestEventKind.Delivered);
        Assert.DoesNotContain(events, e => e.Kind is ServiceBusTestEventKind.LockExpired or ServiceBusTestEventKind.Abandoned);
        // A 2 s lock lasts 6 s only if renewed at least three times (each renewal buys at most 2 s).
        Assert.True(bed.Broker.GetLockRenewalCount(queue) >= 3, $"renewals: {bed.Broker.GetLockRenewalCount(queue)}");
        Assert.Equal(1, engine.SubmitCalls);
    }

    [Fact]
    public async Task A_generation_past_the_renewal_cap_loses_its_lock_stops_and_is_served_again_as_attempt_2()
    {
        await using var bed = new ServiceBusTestBed(redis.ConnectionString, new ServiceBusTestEntityOptions { LockDuration = TimeSpan.FromSeconds(2), MaxDeliveryCount = 5 });
        var queue = NewQueue();
        // Free slots: the expired request can come back before Lost has stopped the first attempt; the newer attempt
        // then takes over from it (the scripted engine, like the real one, refuses a second generation of one id).
        var engine = new ScriptedEngine();

        // A cap of zero: the lock is never renewed, and runs out after its 2 s.
        await using var worker = await WorkerInstance.StartAsync(bed, queue, engine, "--Transport:ServiceBus:MaxLockRenewalSeconds=0");
        await using var producer = await bed.ConnectProducerAsync();

        await producer.PublishAsync(queue, Request("capped", producer.ReplyQueue));
        var first = await engine.NextSubmittedAsync();

        // The lost lock stops the held generation; Service Bus delivers the request again.
        var second = await engine.NextSubmittedAsync();
        second.Finish(Engine.FinishReason.Length);

        var completed = await producer.NextAsync();
        Assert.Equal((nameof(GenerateCompleted), 2), (completed.Type, completed.Number("attempt")));
        Assert.Contains("capped", engine.CancelCalls);
        Assert.True(first.Handle.Completion.IsCompleted);
        var events = bed.Broker.GetEvents(queue);
        // The first delivery ends unsettled: its lock runs out, or the abandon that follows Lost lands just before it does.
        Assert.Contains(events, e => e.Kind is ServiceBusTestEventKind.LockExpired or ServiceBusTestEventKind.Abandoned && e.DeliveryCount == 1);
        Assert.DoesNotContain(events, e => e.Kind == ServiceBusTestEventKind.Completed && e.DeliveryCount == 1);
        Assert.Equal(0, bed.Broker.GetLockRenewalCount(queue));
    }

    public static TheoryData<int, int, string, bool> FaultLimits => new()
    {
        // RetryLimit, the queue's maxDeliveryCount, the dead-letter reason, whether the producer gets internal_error.
        // The entity gives up first: Service Bus dead-letters the third abandoned delivery itself, unanswered.
        { 10, 3, ServiceBusTestBroker.MaxDeliveryCountExceededReason, false },
        // The worker gives up first (the deployment's setting, maxDeliveryCount > RetryLimit + 1): answered, then dead-lettered.
        { 2, 10, ErrorCodes.Internal, true },
    };

    [Theory]
    [MemberData(nameof(FaultLimits))]
    public async Task An_engine_fault_is_abandoned_redelivered_with_higher_attempts_and_dead_lettered_by_whichever_limit_comes_first(
        int retryLimit, int maxDeliveryCount, string reason, bool answered)
    {
        await using var bed = new ServiceBusTestBed(redis.ConnectionString, new ServiceBusTestEntityOptions { MaxDeliveryCount = maxDeliveryCount });
        var queue = NewQueue();
        var engine = new ScriptedEngine { Reject = _ => new InvalidOperationException("engine bug"), AutoDeltas = ["ok"] };
        await using var worker = await WorkerInstance.StartAsync(bed, queue, engine, $"--Transport:RetryLimit={retryLimit}");
        await using var producer = await bed.ConnectProducerAsync();

        await producer.PublishAsync(queue, Request("faulty", producer.ReplyQueue));

        var dead = Assert.Single(await bed.TakeDeadLettersAsync(queue, 1, s_timeout));
        Assert.Equal(reason, dead.Reason);
        Assert.Equal(3, engine.SubmitCalls);
        var deliveries = bed.Broker.GetEvents(queue).Where(e => e.Kind == ServiceBusTestEventKind.Delivered).Select(e => e.DeliveryCount);
        Assert.Equal([1, 2, 3], deliveries);
        if (answered)
        {
            var failed = await producer.NextAsync();
            Assert.Equal((nameof(GenerateFailed), ErrorCodes.Internal, 3), (failed.Type, failed.Text("code"), failed.Number("attempt")));
        }
    }

    [Fact]
    public async Task The_replica_locks_only_what_the_engine_can_start_and_takes_more_as_the_engine_frees_room()
    {
        await using var bed = new ServiceBusTestBed(redis.ConnectionString);
        var queue = NewQueue();
        var engine = new ScriptedEngine();
        engine.SetAvailableSlots(2);
        await using var worker = await WorkerInstance.StartAsync(bed, queue, engine, "--Engine:MaxRunningRequests=4");
        await using var producer = await bed.ConnectProducerAsync();

        for (var i = 0; i < 7; i++)
        {
            await producer.PublishAsync(queue, Request($"r{i}", producer.ReplyQueue));
        }

        // Two free slots: two locked, both in the engine; five stay in the queue for other replicas, though the
        // running-request limit (four) would allow two more.
        List<ScriptedGeneration> running = [await engine.NextSubmittedAsync(), await engine.NextSubmittedAsync()];
        await EventuallyAsync(() => bed.Broker.GetCounts(queue) is { Locked: 2, Active: 5 });
        var raised = DateTimeOffset.UtcNow;

        // More room in the engine: exactly one more is taken, and it goes straight in.
        engine.SetAvailableSlots(3);
        running.Add(await engine.NextSubmittedAsync());
        await EventuallyAsync(() => bed.Broker.GetCounts(queue) is { Locked: 3, Active: 4 });
        Assert.Equal(3, engine.SubmitCalls);

        for (var finished = 0; finished < 7; finished++)
        {
            running[finished].Finish(Engine.FinishReason.Length);
            Assert.Equal(nameof(GenerateCompleted), (await producer.NextAsync()).Type);
            if (finished + 3 < 7)
            {
                running.Add(await engine.NextSubmittedAsync());
            }
        }

        await EventuallyAsync(() => bed.Broker.GetCounts(queue) is { Locked: 0, Active: 0 });
        Assert.Equal(7, engine.SubmitCalls);
        var events = bed.Broker.GetEvents(queue);
        Assert.Equal(2, MaxLocksHeld(events.Where(e => e.Timestamp < raised)));
        // A slot frees before its request is settled, so the next one may be locked just before the last is completed.
        var maxHeld = MaxLocksHeld(events);
        Assert.True(maxHeld <= 4, $"{maxHeld} locks held at once");
        Assert.DoesNotContain(events, e => e.Kind is ServiceBusTestEventKind.LockExpired or ServiceBusTestEventKind.Abandoned);
    }

    [Fact]
    public async Task A_cancel_taken_by_one_replica_from_the_shared_subscription_reaches_the_other_through_the_relay()
    {
        await using var bed = new ServiceBusTestBed(redis.ConnectionString);
        var queue = NewQueue();
        var first = new ScriptedEngine();
        var second = new ScriptedEngine();
        await using var a = await WorkerInstance.StartAsync(bed, queue, first);
        await using var b = await WorkerInstance.StartAsync(bed, queue, second);
        await using var producer = await bed.ConnectProducerAsync();

        await producer.PublishAsync(queue, Request("relayed", producer.ReplyQueue, stream: true));
        var generation = await Task.WhenAny(first.NextSubmittedAsync(), second.NextSubmittedAsync()).Unwrap();
        generation.Emit("t");
        Assert.Equal(nameof(TokenChunk), (await producer.NextAsync()).Type);
        await producer.PublishCancelAsync(ServiceBusTestBed.CancelTopic, "relayed");

        var completed = await producer.NextAsync();
        Assert.Equal((nameof(GenerateCompleted), FinishReasons.Cancelled), (completed.Type, completed.Text("finishReason")));
        // Service Bus handed the cancel to one replica only; both know it, so it was relayed.
        var subscription = $"{ServiceBusTestBed.CancelTopic}/Subscriptions/{ServiceBusTestBed.CancelSubscription}";
        Assert.Single(bed.Broker.GetEvents(subscription), e => e.Kind == ServiceBusTestEventKind.Delivered);
        await EventuallyAsync(() => new[] { a, b }.All(w => w.Services.GetRequiredService<CancelMemory>().WasCancelled("relayed")));
    }

    [Fact]
    public async Task Stopping_mid_generation_abandons_the_request_and_a_second_worker_completes_it_as_attempt_2()
    {
        await using var bed = new ServiceBusTestBed(redis.ConnectionString);
        var queue = NewQueue();
        var stopping = new ScriptedEngine();
        await using var producer = await bed.ConnectProducerAsync();
        var first = await WorkerInstance.StartAsync(bed, queue, stopping, "--Transport:DrainTimeoutSeconds=0");

        await producer.PublishAsync(queue, Request("drained", producer.ReplyQueue, stream: true));
        (await stopping.NextSubmittedAsync()).Emit("first");
        Assert.Equal(nameof(TokenChunk), (await producer.NextAsync()).Type);
        await first.StopAsync().WaitAsync(s_timeout);
        await first.DisposeAsync();

        var afterStop = bed.Broker.GetEvents(queue);
        Assert.Contains(afterStop, e => e.Kind == ServiceBusTestEventKind.Abandoned && e.DeliveryCount == 1);
        Assert.DoesNotContain(afterStop, e => e.Kind == ServiceBusTestEventKind.Completed);
        // Handed back once: the stopping replica's link took no further delivery of it to abandon again.
        Assert.DoesNotContain(afterStop, e => e.IsSettlement && e.DeliveryCount > 1);

        await using var second = await WorkerInstance.StartAsync(bed, queue, new ScriptedEngine { AutoDeltas = ["again"] });
        Assert.Equal((nameof(TokenChunk), 2), Attempt(await producer.NextAsync()));
        Assert.Equal((nameof(GenerateCompleted), 2), Attempt(await producer.NextAsync()));
        await EventuallyAsync(() => bed.Broker.GetEvents(queue).Any(e => e.Kind == ServiceBusTestEventKind.Completed && e.DeliveryCount == 2));
    }

    [Fact]
    public async Task Each_producer_reads_its_own_replies_in_order_from_its_session()
    {
        const int tokens = 100;
        await using var bed = new ServiceBusTestBed(redis.ConnectionString);
        var queue = NewQueue();
        await using var worker = await WorkerInstance.StartAsync(bed, queue,
            new ScriptedEngine { AutoDeltas = [.. Enumerable.Range(0, tokens).Select(i => $"<{i}>")] });
        await using var left = await bed.ConnectProducerAsync();
        await using var right = await bed.ConnectProducerAsync();

        // Both answer on the same queue; only the sessions keep them apart.
        Assert.Equal(left.ReplyQueue, right.ReplyQueue);
        await left.PublishAsync(queue, Request("left", left.ReplyQueue, stream: true));
        await right.PublishAsync(queue, Request("right", right.ReplyQueue, stream: true));

        foreach (var (producer, id) in new[] { (left, "left"), (right, "right") })
        {
            for (var seq = 0; seq < tokens; seq++)
            {
                var chunk = await producer.NextAsync();
                Assert.Equal((nameof(TokenChunk), id, seq, $"<{seq}>"), (chunk.Type, chunk.Text("requestId"), chunk.Number("seq"), chunk.Text("textDelta")));
            }

            var completed = await producer.NextAsync();
            Assert.Equal((nameof(GenerateCompleted), id), (completed.Type, completed.Text("requestId")));
        }
    }

    private static string NewQueue() => $"llmq-sb-{Guid.NewGuid():N}";

    private static byte[] Request(string id, string replyTo, bool stream = false) =>
        Encoding.UTF8.GetBytes($$$"""{"requestId":"{{{id}}}","prompt":"p","stream":{{{(stream ? "true" : "false")}}},"replyTo":"{{{replyTo}}}","sampling":{"maxTokens":4}}""");

    private static (string Type, int Attempt) Attempt(RawReply reply) => (reply.Type, reply.Number("attempt"));

    /// <summary>
    /// The most messages locked at once, replayed from the broker's event log. By sequence number: a receive the SDK
    /// cancels releases its message (AMQP released, which the log does not record), and it is delivered again.
    /// </summary>
    private static int MaxLocksHeld(IEnumerable<ServiceBusTestEvent> events)
    {
        var held = new HashSet<long>();
        var max = 0;
        foreach (var e in events)
        {
            if (e.Kind == ServiceBusTestEventKind.Delivered)
            {
                held.Add(e.SequenceNumber);
            }
            else if (e.IsSettlement || e.Kind == ServiceBusTestEventKind.LockExpired)
            {
                held.Remove(e.SequenceNumber);
            }

            max = Math.Max(max, held.Count);
        }

        return max;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; the deadline only bounds a hang.</summary>
    private static async Task EventuallyAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < s_timeout, "the condition did not hold within " + s_timeout);
            await Task.Delay(20);
        }
    }
}
