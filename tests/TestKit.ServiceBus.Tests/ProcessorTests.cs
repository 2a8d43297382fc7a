using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;

namespace LlmQueue.TestKit.ServiceBus.Tests;

/// <summary>ServiceBusProcessor as the worker configures it: PeekLock, no auto-complete, no prefetch.</summary>
public class ProcessorTests
{
    private static ServiceBusProcessorOptions WorkerOptions(int concurrency) => new()
    {
        AutoCompleteMessages = false,
        PrefetchCount = 0,
        MaxConcurrentCalls = concurrency,
        MaxAutoLockRenewalDuration = TimeSpan.FromMinutes(1),
    };

    [Fact]
    public async Task Auto_renewal_keeps_a_2s_lock_through_a_6s_handler_without_redelivery()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q", new ServiceBusTestEntityOptions { LockDuration = TimeSpan.FromSeconds(2) });
        await harness.SendAsync("q", new ServiceBusMessage("long generation") { MessageId = "g" });
        var handled = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new ConcurrentQueue<ServiceBusErrorSource>();
        await using var processor = harness.Client.CreateProcessor("q", WorkerOptions(1));
        processor.ProcessMessageAsync += async args =>
        {
            // The work itself takes 6 s: three lock durations.
            await Task.Delay(TimeSpan.FromSeconds(6), args.CancellationToken);
            await args.CompleteMessageAsync(args.Message);
            handled.TrySetResult(args.Message.DeliveryCount);
        };
        processor.ProcessErrorAsync += args =>
        {
            errors.Enqueue(args.ErrorSource);
            return Task.CompletedTask;
        };

        await processor.StartProcessingAsync();
        var deliveryCount = await handled.Task.WaitAsync(BrokerHarness.Patience);
        await processor.StopProcessingAsync();

        Assert.Equal(1, deliveryCount);
        // A renewal racing the completion may find the lock already gone (as on Azure); nothing else may fail.
        Assert.All(errors, source => Assert.Equal(ServiceBusErrorSource.RenewLock, source));
        var events = harness.Broker.GetEvents("q");
        Assert.Single(events, e => e.Kind == ServiceBusTestEventKind.Delivered);
        Assert.Single(events, e => e.Kind == ServiceBusTestEventKind.Completed);
        Assert.DoesNotContain(events, e => e.Kind == ServiceBusTestEventKind.LockExpired);
        // A 2 s lock survives 6 s only if renewed at least three times (each renewal buys at most 2 s).
        Assert.True(harness.Broker.GetLockRenewalCount("q") >= 3, $"renewals: {harness.Broker.GetLockRenewalCount("q")}");
    }

    [Fact]
    public async Task Abandoning_handler_sees_rising_delivery_counts_until_the_message_is_dead_lettered()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q", new ServiceBusTestEntityOptions { MaxDeliveryCount = 3 });
        await harness.SendAsync("q", new ServiceBusMessage("engine fault") { MessageId = "f" });
        var seen = new ConcurrentQueue<int>();
        await using var processor = harness.Client.CreateProcessor("q", WorkerOptions(1));
        processor.ProcessMessageAsync += async args =>
        {
            seen.Enqueue(args.Message.DeliveryCount);
            await args.AbandonMessageAsync(args.Message);
        };
        processor.ProcessErrorAsync += _ => Task.CompletedTask;

        await processor.StartProcessingAsync();
        var deadLettered = await harness.Broker.WaitForEventAsync(e => e.Kind == ServiceBusTestEventKind.DeadLettered, BrokerHarness.Patience);
        await processor.StopProcessingAsync();

        Assert.Equal([1, 2, 3], seen);
        Assert.Equal((ServiceBusTestBroker.MaxDeliveryCountExceededReason, 3), (deadLettered.Detail, deadLettered.DeliveryCount));
        Assert.Equal(ServiceBusTestBroker.MaxDeliveryCountExceededReason, Assert.Single(harness.Broker.GetDeadLetters("q")).DeadLetterReason);
    }

    [Fact]
    public async Task Update_concurrency_raises_parallel_handlers_and_the_broker_never_locks_more_than_asked()
    {
        const int messages = 6;
        const int raised = 3;
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q");
        await harness.SendAsync("q", [.. Enumerable.Range(0, messages).Select(i => new ServiceBusMessage($"m{i}") { MessageId = $"{i}" })]);
        var inFlight = 0;
        var maxInFlight = 0;
        var completed = 0;
        var allInFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var processor = harness.Client.CreateProcessor("q", WorkerOptions(1));
        processor.ProcessMessageAsync += async args =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            if (args.Message.MessageId == "0")
            {
                // Capacity freed up: the worker raises concurrency while the first message is still in hand.
                processor.UpdateConcurrency(raised);
            }

            if (now == raised)
            {
                allInFlight.TrySetResult();
            }

            await allInFlight.Task.WaitAsync(BrokerHarness.Patience);
            Interlocked.Decrement(ref inFlight);
            await args.CompleteMessageAsync(args.Message);
            if (Interlocked.Increment(ref completed) == messages)
            {
                allDone.TrySetResult();
            }
        };
        processor.ProcessErrorAsync += _ => Task.CompletedTask;

        await processor.StartProcessingAsync();
        await allDone.Task.WaitAsync(BrokerHarness.Patience);
        await processor.StopProcessingAsync();

        Assert.Equal(raised, maxInFlight);
        Assert.True(MaxOutstandingLocks(harness.Broker.GetEvents("q")) <= raised);
        Assert.Equal(messages, harness.Broker.GetEvents("q").Count(e => e.Kind == ServiceBusTestEventKind.Completed));
    }

    private static int MaxOutstandingLocks(IEnumerable<ServiceBusTestEvent> events)
    {
        var outstanding = 0;
        var max = 0;
        foreach (var e in events)
        {
            outstanding += e.Kind == ServiceBusTestEventKind.Delivered ? 1 : e.IsSettlement || e.Kind == ServiceBusTestEventKind.LockExpired ? -1 : 0;
            max = Math.Max(max, outstanding);
        }

        return max;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }
}
