using Amqp;
using Amqp.Framing;
using Amqp.Transactions;
using Amqp.Types;
using Azure.Messaging.ServiceBus;

namespace LlmQueue.TestKit.ServiceBus.Tests;

/// <summary>Input the SDK never sends: refused or answered with an error status, logged, and the broker keeps serving.</summary>
public class RobustnessTests
{
    [Fact]
    public async Task Attaches_to_unknown_or_unsupported_nodes_are_refused_with_amqp_errors()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateTopic("t");
        harness.Broker.CreateSubscription("t", "s");
        await using var raw = await RawAmqpClient.ConnectAsync(harness.Broker);

        var unknownQueue = RawAmqpClient.ClosedWithAsync(new ReceiverLink(raw.Session, "r1", "nowhere"));
        var notANode = RawAmqpClient.ClosedWithAsync(new ReceiverLink(raw.Session, "r2", "$weird"));
        var sendToSubscription = RawAmqpClient.ClosedWithAsync(new SenderLink(raw.Session, "s1", "t/Subscriptions/s"));
        var transaction = RawAmqpClient.ClosedWithAsync(new SenderLink(raw.Session, "s2", new Attach { Source = new Source(), Target = new Coordinator() }, null));
        var sessionOnPlainQueue = RawAmqpClient.ClosedWithAsync(new ReceiverLink(raw.Session, "r3",
            new Source { Address = "t/Subscriptions/s", FilterSet = new Map { [new Symbol("com.microsoft:session-filter")] = "x" } }, null));

        Assert.Equal("amqp:not-found", await unknownQueue);
        Assert.Equal("amqp:invalid-field", await notANode);
        Assert.Equal("amqp:not-found", await sendToSubscription);
        Assert.Equal("amqp:not-implemented", await transaction);
        Assert.Equal("amqp:not-allowed", await sessionOnPlainQueue);
        Assert.Equal(5, harness.Faults.Count(f => f.Contains("refused", StringComparison.Ordinal)));
        await AssertStillServesAsync(harness, "t", "t/Subscriptions/s");
    }

    [Fact]
    public async Task Malformed_management_requests_get_error_statuses()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q");
        await using var raw = await RawAmqpClient.ConnectAsync(harness.Broker);

        var noBody = await raw.RequestAsync("q/$management", "com.microsoft:renew-lock", "not a map", "reply-1");
        var badTokens = await raw.RequestAsync("q/$management", "com.microsoft:renew-lock", new Map { ["lock-tokens"] = new[] { "not-a-guid" } }, "reply-2");
        var unknownToken = await raw.RequestAsync("q/$management", "com.microsoft:renew-lock", new Map { ["lock-tokens"] = new[] { Guid.NewGuid() } }, "reply-3");
        var unknownOperation = await raw.RequestAsync("q/$management", "com.microsoft:bogus", new Map(), "reply-4");
        var badCbs = await raw.RequestAsync("$cbs", "delete-token", "token", "reply-5");
        var goodCbs = await raw.RequestAsync("$cbs", "put-token", "token", "reply-6");

        Assert.Equal(400, noBody["statusCode"]);
        Assert.Equal(400, badTokens["statusCode"]);
        Assert.Equal((410, (object?)new Symbol("com.microsoft:message-lock-lost")), (unknownToken["statusCode"], unknownToken["errorCondition"]));
        Assert.Equal(501, unknownOperation["statusCode"]);
        Assert.Equal(400, badCbs["status-code"]);
        Assert.Equal(202, goodCbs["status-code"]);
        await AssertStillServesAsync(harness, "q", "q");
    }

    [Fact]
    public async Task An_unreadable_batch_is_rejected_and_a_request_without_a_reply_link_is_refused()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q");
        await using var raw = await RawAmqpClient.ConnectAsync(harness.Broker);
        var sender = new SenderLink(raw.Session, "batch", "q");
        var requests = new SenderLink(raw.Session, "orphan", "q/$management");

        var batch = await Assert.ThrowsAsync<AmqpException>(() => sender.SendAsync(new Message("not data sections") { Format = 0x80013700 }));
        var orphan = await Assert.ThrowsAsync<AmqpException>(() => requests.SendAsync(new Message(new Map()) { Properties = new Properties { MessageId = "1", ReplyTo = "nobody" } }));

        Assert.Equal("amqp:decode-error", batch.Error.Condition.ToString());
        Assert.Equal("amqp:not-found", orphan.Error.Condition.ToString());
        Assert.Equal(0, harness.Broker.GetCounts("q").Active);
        await AssertStillServesAsync(harness, "q", "q");
    }

    [Fact]
    public async Task The_broker_enforces_the_size_it_announces_on_attach()
    {
        await using var harness = BrokerHarness.Start(new ServiceBusTestBrokerOptions { MaxMessageSizeBytes = 4096 });
        harness.Broker.CreateQueue("q");
        await using var raw = await RawAmqpClient.ConnectAsync(harness.Broker);
        var sender = new SenderLink(raw.Session, "big", "q");

        var refused = await Assert.ThrowsAsync<AmqpException>(() => sender.SendAsync(new Message { BodySection = new Data { Binary = new byte[8192] } }));

        Assert.Equal("amqp:link:message-size-exceeded", refused.Error.Condition.ToString());
        Assert.Contains("4096", refused.Error.Description, StringComparison.Ordinal);
        Assert.Equal(0, harness.Broker.GetCounts("q").Active);
    }

    private static async Task AssertStillServesAsync(BrokerHarness harness, string sendTo, string receiveFrom)
    {
        await harness.SendAsync(sendTo, new ServiceBusMessage("still alive"));
        await using var receiver = harness.Client.CreateReceiver(receiveFrom);
        var message = await BrokerHarness.ReceiveAsync(receiver);
        Assert.Equal("still alive", message.Body.ToString());
        await receiver.CompleteMessageAsync(message);
    }
}
