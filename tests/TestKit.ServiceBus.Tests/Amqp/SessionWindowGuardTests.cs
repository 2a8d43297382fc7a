using System.Reflection;
using Amqp;
using Amqp.Framing;
using Amqp.Types;

namespace LlmQueue.TestKit.ServiceBus.Tests.Amqp;

/// <summary>A session whose peer's window has no end keeps delivering whatever its flows say.</summary>
public class SessionWindowGuardTests
{
    [Fact]
    public async Task A_flow_counting_a_transfer_the_broker_has_not_counted_yet_does_not_stall_an_unbounded_session()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q");
        await using var raw = await RawAmqpClient.ConnectAsync(harness.Broker);
        // The Azure SDK's session: an unbounded incoming window.
        var session = raw.BeginSession(new Begin { IncomingWindow = uint.MaxValue, OutgoingWindow = 2048, HandleMax = 255, NextOutgoingId = 0 });
        var receiver = new ReceiverLink(session, "receiver", "q");
        // Manual credit: the client sends no flow of its own after this one, as the SDK with all its receives waiting.
        receiver.SetCredit(2, CreditMode.Manual);

        // The flow the SDK sends when it has read a transfer the broker is still counting (next-incoming-id one ahead):
        // the broker's window sum wraps to 0. The session has sent no transfer yet, so one ahead is 1; the credit stays 2.
        SendRaw(session, new Flow
        {
            NextIncomingId = 1,
            IncomingWindow = uint.MaxValue,
            NextOutgoingId = 0,
            OutgoingWindow = 2048,
            Handle = receiver.Handle,
            DeliveryCount = 0,
            LinkCredit = 2,
        });

        // Sent on the same session after the flow, so the broker has read the flow when the messages arrive.
        var sender = new SenderLink(session, "sender", "q");
        await sender.SendAsync(new Message("a") { Properties = new() { MessageId = "m1" } });
        await sender.SendAsync(new Message("b") { Properties = new() { MessageId = "m2" } });

        // The patience only bounds a hang: a stalled session would deliver nothing until the client's next flow.
        var first = await receiver.ReceiveAsync(BrokerHarness.Patience);
        var second = await receiver.ReceiveAsync(BrokerHarness.Patience);

        Assert.Equal(("m1", "m2"), (first?.Properties.MessageId, second?.Properties.MessageId));
        Assert.Empty(harness.Faults);
        await receiver.CloseAsync();
        await sender.CloseAsync();
    }

    /// <summary>Writes a performative on the session's channel as is: AMQPNetLite's session fills a flow with its own window.</summary>
    private static void SendRaw(Session session, DescribedList command)
    {
        const BindingFlags Internal = BindingFlags.Instance | BindingFlags.NonPublic;
        var channel = (ushort)(typeof(Session).GetProperty("Channel", Internal)?.GetValue(session)
            ?? throw new InvalidOperationException("AMQPNetLite's Session has no Channel any more."));
        (typeof(Connection).GetMethod("SendCommand", Internal, [typeof(ushort), typeof(DescribedList)])
            ?? throw new InvalidOperationException("AMQPNetLite's Connection has no SendCommand(ushort, DescribedList) any more."))
            .Invoke(session.Connection, [channel, command]);
    }
}
