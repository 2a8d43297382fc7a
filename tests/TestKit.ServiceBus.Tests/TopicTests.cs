using Azure.Messaging.ServiceBus;

namespace LlmQueue.TestKit.ServiceBus.Tests;

/// <summary>Topics fan out a copy of each message to every subscription; each copy is settled on its own.</summary>
public class TopicTests
{
    [Fact]
    public async Task Every_subscription_gets_its_own_copy_and_settles_it_independently()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateTopic("cancel");
        harness.Broker.CreateSubscription("cancel", "replica-a");
        harness.Broker.CreateSubscription("cancel", "replica-b");
        await harness.SendAsync("cancel", new ServiceBusMessage("{\"requestId\":\"r1\"}") { MessageId = "c1", Subject = "CancelGeneration" });

        await using var a = harness.Client.CreateReceiver("cancel", "replica-a");
        await using var b = harness.Client.CreateReceiver("cancel", "replica-b");
        var copyA = await BrokerHarness.ReceiveAsync(a);
        var copyB = await BrokerHarness.ReceiveAsync(b);
        await a.CompleteMessageAsync(copyA);
        await b.AbandonMessageAsync(copyB);

        Assert.Equal(("c1", "c1", "CancelGeneration"), (copyA.MessageId, copyB.MessageId, copyB.Subject));
        Assert.Equal(new ServiceBusTestEntityCounts(0, 0, 0, 0, 0), harness.Broker.GetCounts("cancel/Subscriptions/replica-a"));
        Assert.Equal(new ServiceBusTestEntityCounts(1, 0, 0, 0, 0), harness.Broker.GetCounts("cancel/Subscriptions/replica-b"));
        Assert.Equal(2, (await BrokerHarness.ReceiveAsync(b)).DeliveryCount);
    }

    [Fact]
    public async Task A_subscription_dead_letter_queue_is_readable_and_a_deleted_subscription_gets_no_more_copies()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateTopic("t");
        harness.Broker.CreateSubscription("t", "keep");
        harness.Broker.CreateSubscription("t", "gone");
        await harness.SendAsync("t", new ServiceBusMessage("first"));
        await using var keep = harness.Client.CreateReceiver("t", "keep");
        await keep.DeadLetterMessageAsync(await BrokerHarness.ReceiveAsync(keep), "cancel_unknown", "no such request");

        Assert.True(harness.Broker.DeleteSubscription("t", "gone"));
        await harness.SendAsync("t", new ServiceBusMessage("second"));

        await using var deadLetters = harness.Client.CreateReceiver("t", "keep", new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
        var dead = await BrokerHarness.ReceiveAsync(deadLetters);
        Assert.Equal(("first", "cancel_unknown", "no such request"), (dead.Body.ToString(), dead.DeadLetterReason, dead.DeadLetterErrorDescription));
        Assert.Equal("second", (await BrokerHarness.ReceiveAsync(keep)).Body.ToString());
        Assert.Throws<ArgumentException>(() => harness.Broker.GetCounts("t/Subscriptions/gone"));
    }
}
