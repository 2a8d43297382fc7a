using Azure.Messaging.ServiceBus;

namespace LlmQueue.TestKit.ServiceBus.Tests;

/// <summary>Fault injection: the broker drops every connection and the SDK recovers.</summary>
public class FaultTests
{
    [Fact]
    public async Task After_a_dropped_connection_the_sdk_reconnects_and_settles_a_held_message_by_lock_token()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q");
        await using var sender = harness.Client.CreateSender("q");
        await sender.SendMessageAsync(new ServiceBusMessage("before") { MessageId = "1" });
        await using var receiver = harness.Client.CreateReceiver("q");
        var held = await BrokerHarness.ReceiveAsync(receiver);

        Assert.Equal(1, harness.Broker.DropConnections());
        await sender.SendMessageAsync(new ServiceBusMessage("after") { MessageId = "2" });
        // The receive link is new, so the SDK settles the old delivery over $management by its lock token.
        await receiver.CompleteMessageAsync(held);
        var next = await BrokerHarness.ReceiveAsync(receiver);

        Assert.Equal("2", next.MessageId);
        var events = harness.Broker.GetEvents("q");
        Assert.Equal(["1", "2"], events.Where(e => e.Kind == ServiceBusTestEventKind.Enqueued).Select(e => e.MessageId));
        Assert.Equal("1", Assert.Single(events, e => e.Kind == ServiceBusTestEventKind.Completed).MessageId);
        Assert.Equal(new ServiceBusTestEntityCounts(Active: 0, Locked: 1, Scheduled: 0, Deferred: 0, DeadLettered: 0), harness.Broker.GetCounts("q"));
    }
}
