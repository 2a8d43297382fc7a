using Amqp;

namespace LlmQueue.TestKit.ServiceBus.Tests.Amqp;

/// <summary>Link credit as AMQP defines it: the receiver's last flow sets it (its limit less the deliveries sent).</summary>
public class ReceiverCreditTests
{
    [Fact]
    public async Task A_flow_that_does_not_raise_the_credit_keeps_it()
    {
        await using var broker = ServiceBusTestBroker.Start();
        broker.CreateQueue("q");
        await using var raw = await RawAmqpClient.ConnectAsync(broker);
        var receiver = new ReceiverLink(raw.Session, "lowering", "q");
        receiver.SetCredit(2, CreditMode.Manual);
        // Adds nothing: a flow with the same limit. The SDK's flows lowering the credit (one of several receives waiting
        // on a link ends) are the other case of a delta that is not positive; neither may take the credit to zero.
        receiver.SetCredit(0, CreditMode.Manual);
        var sender = new SenderLink(raw.Session, "sender", "q");
        await sender.SendAsync(new Message("first") { Properties = new() { MessageId = "m1" } });
        await sender.SendAsync(new Message("second") { Properties = new() { MessageId = "m2" } });
        await sender.SendAsync(new Message("third") { Properties = new() { MessageId = "m3" } });

        // The patience only bounds a hang: with no credit the broker would send nothing.
        var first = await receiver.ReceiveAsync(BrokerHarness.Patience);
        var second = await receiver.ReceiveAsync(BrokerHarness.Patience);

        Assert.Equal(("m1", "m2"), (first?.Properties.MessageId, second?.Properties.MessageId));
        // Two of credit, two delivered: the third stays in the queue.
        Assert.Equal(new ServiceBusTestEntityCounts(Active: 1, Locked: 2, Scheduled: 0, Deferred: 0, DeadLettered: 0), broker.GetCounts("q"));
        await receiver.CloseAsync();
        await sender.CloseAsync();
    }
}
