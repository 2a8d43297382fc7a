using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Time.Testing;

namespace LlmQueue.TestKit.ServiceBus.Tests;

/// <summary>Scheduled messages (the worker's callback retry queue) become visible at their ScheduledEnqueueTime, not before.</summary>
public class ScheduledMessageTests
{
    [Fact]
    public async Task A_scheduled_message_stays_invisible_until_the_broker_clock_reaches_its_time()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
        await using var harness = BrokerHarness.Start(new ServiceBusTestBrokerOptions { TimeProvider = clock });
        harness.Broker.CreateQueue("callback-retries");
        var due = clock.GetUtcNow().AddSeconds(10);
        await using var sender = harness.Client.CreateSender("callback-retries");

        var sequenceNumber = await sender.ScheduleMessageAsync(new ServiceBusMessage("retry") { MessageId = "cb-1" }, due);
        clock.Advance(TimeSpan.FromSeconds(9.9));
        var beforeDue = harness.Broker.GetCounts("callback-retries");
        clock.Advance(TimeSpan.FromSeconds(0.1));
        var atDue = harness.Broker.GetCounts("callback-retries");

        Assert.Equal((0, 1), (beforeDue.Active, beforeDue.Scheduled));
        Assert.Equal((1, 0), (atDue.Active, atDue.Scheduled));
        await using var receiver = harness.Client.CreateReceiver("callback-retries");
        var message = await BrokerHarness.ReceiveAsync(receiver);
        Assert.Equal(("cb-1", sequenceNumber), (message.MessageId, message.SequenceNumber));
        Assert.Equal(due, message.ScheduledEnqueueTime);
        Assert.Equal(due, message.EnqueuedTime);
    }

    [Fact]
    public async Task A_message_sent_with_a_scheduled_time_is_delivered_no_earlier_than_that_time()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q");
        var due = DateTimeOffset.UtcNow.AddSeconds(1.5);

        await harness.SendAsync("q", new ServiceBusMessage("later") { MessageId = "s", ScheduledEnqueueTime = due });
        Assert.Equal(1, harness.Broker.GetCounts("q").Scheduled);
        await using var receiver = harness.Client.CreateReceiver("q");
        var message = await BrokerHarness.ReceiveAsync(receiver);

        var delivered = harness.Broker.GetEvents("q").Single(e => e.Kind == ServiceBusTestEventKind.Delivered);
        // Broker timestamps are millisecond-precise on the wire; compare at that precision.
        Assert.True(delivered.Timestamp >= due.AddMilliseconds(-1), $"delivered {delivered.Timestamp:O}, due {due:O}");
        Assert.True(message.EnqueuedTime >= due.AddMilliseconds(-1));
        Assert.Equal("s", message.MessageId);
    }

    [Fact]
    public async Task A_cancelled_scheduled_message_never_appears()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateTopic("t");
        harness.Broker.CreateSubscription("t", "s");
        await using var sender = harness.Client.CreateSender("t");
        var sequenceNumber = await sender.ScheduleMessageAsync(new ServiceBusMessage("x"), DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Equal(1, harness.Broker.GetCounts("t/Subscriptions/s").Scheduled);

        await sender.CancelScheduledMessageAsync(sequenceNumber);

        Assert.Equal(new ServiceBusTestEntityCounts(0, 0, 0, 0, 0), harness.Broker.GetCounts("t/Subscriptions/s"));
        Assert.Single(harness.Broker.GetEvents("t/Subscriptions/s"), e => e.Kind == ServiceBusTestEventKind.ScheduleCancelled);
    }
}
