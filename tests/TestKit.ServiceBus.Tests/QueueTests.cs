using Azure.Messaging.ServiceBus;

namespace LlmQueue.TestKit.ServiceBus.Tests;

/// <summary>The unmodified SDK against the broker: PeekLock and ReceiveAndDelete on a queue.</summary>
public class QueueTests
{
    [Fact]
    public async Task Sent_message_is_received_with_every_property_and_completed()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("requests");
        var sent = new ServiceBusMessage(BinaryData.FromString("{\"prompt\":\"hi\"}"))
        {
            MessageId = "req-1",
            ContentType = "application/json",
            Subject = "GenerateRequest",
            CorrelationId = "corr-9",
            ReplyTo = "replies",
            ReplyToSessionId = "client-7",
            SessionId = "s-1",
            TimeToLive = TimeSpan.FromMinutes(10),
            ApplicationProperties =
            {
                ["llmq-message-type"] = "GenerateRequest",
                ["attempt"] = 3,
                ["big"] = 1L << 40,
                ["ratio"] = 0.25,
                ["flag"] = true,
            },
        };
        await harness.SendAsync("requests", sent);

        await using var receiver = harness.Client.CreateReceiver("requests");
        var received = await BrokerHarness.ReceiveAsync(receiver);

        Assert.Equal("{\"prompt\":\"hi\"}", received.Body.ToString());
        Assert.Equal(("req-1", "application/json", "GenerateRequest", "corr-9"), (received.MessageId, received.ContentType, received.Subject, received.CorrelationId));
        Assert.Equal(("replies", "client-7", "s-1"), (received.ReplyTo, received.ReplyToSessionId, received.SessionId));
        Assert.Equal(TimeSpan.FromMinutes(10), received.TimeToLive);
        Assert.Equal("GenerateRequest", received.ApplicationProperties["llmq-message-type"]);
        Assert.Equal(3, received.ApplicationProperties["attempt"]);
        Assert.Equal(1L << 40, received.ApplicationProperties["big"]);
        Assert.Equal(0.25, received.ApplicationProperties["ratio"]);
        Assert.Equal(true, received.ApplicationProperties["flag"]);
        Assert.Equal(1, received.DeliveryCount);
        Assert.Equal(1, received.SequenceNumber);
        Assert.NotEqual(Guid.Empty.ToString(), received.LockToken);
        Assert.True(received.LockedUntil > received.EnqueuedTime);
        Assert.Equal(new ServiceBusTestEntityCounts(Active: 0, Locked: 1, Scheduled: 0, Deferred: 0, DeadLettered: 0), harness.Broker.GetCounts("requests"));

        await receiver.CompleteMessageAsync(received);

        Assert.Equal(new ServiceBusTestEntityCounts(0, 0, 0, 0, 0), harness.Broker.GetCounts("requests"));
        var completed = Assert.Single(harness.Broker.GetEvents("requests"), e => e.Kind == ServiceBusTestEventKind.Completed);
        Assert.Equal(("req-1", 1L, 1), (completed.MessageId, completed.SequenceNumber, completed.DeliveryCount));
        Assert.Empty(harness.Faults);
    }

    [Fact]
    public async Task Abandoned_message_is_redelivered_with_delivery_count_two()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q");
        await harness.SendAsync("q", new ServiceBusMessage("x") { MessageId = "m" });
        await using var receiver = harness.Client.CreateReceiver("q");

        var first = await BrokerHarness.ReceiveAsync(receiver);
        await receiver.AbandonMessageAsync(first, new Dictionary<string, object> { ["failure"] = "engine fault" });
        var second = await BrokerHarness.ReceiveAsync(receiver);

        Assert.Equal((1, 2), (first.DeliveryCount, second.DeliveryCount));
        Assert.Equal("m", second.MessageId);
        Assert.NotEqual(first.LockToken, second.LockToken);
        Assert.Equal("engine fault", second.ApplicationProperties["failure"]);
        Assert.Equal(ServiceBusTestEventKind.Abandoned, harness.Broker.GetEvents("q").Single(e => e.IsSettlement).Kind);
    }

    [Fact]
    public async Task Max_delivery_count_moves_the_message_to_the_dead_letter_queue_with_the_reason()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q", new ServiceBusTestEntityOptions { MaxDeliveryCount = 3 });
        await harness.SendAsync("q", new ServiceBusMessage("poison") { MessageId = "p" });
        await using var receiver = harness.Client.CreateReceiver("q");

        for (var delivery = 1; delivery <= 3; delivery++)
        {
            var message = await BrokerHarness.ReceiveAsync(receiver);
            Assert.Equal(delivery, message.DeliveryCount);
            await receiver.AbandonMessageAsync(message);
        }

        Assert.Equal(new ServiceBusTestEntityCounts(Active: 0, Locked: 0, Scheduled: 0, Deferred: 0, DeadLettered: 1), harness.Broker.GetCounts("q"));
        await using var deadLetters = harness.Client.CreateReceiver("q", new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
        var dead = await BrokerHarness.ReceiveAsync(deadLetters);
        Assert.Equal("p", dead.MessageId);
        Assert.Equal(ServiceBusTestBroker.MaxDeliveryCountExceededReason, dead.DeadLetterReason);
        Assert.Contains("3 delivery attempts", dead.DeadLetterErrorDescription, StringComparison.Ordinal);
        Assert.Equal("poison", dead.Body.ToString());
        await deadLetters.CompleteMessageAsync(dead);
        Assert.Equal(0, harness.Broker.GetCounts("q").DeadLettered);
    }

    [Fact]
    public async Task Explicit_dead_letter_keeps_reason_description_and_modified_properties()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q");
        await harness.SendAsync("q", new ServiceBusMessage("bad json") { MessageId = "b" });
        await using var receiver = harness.Client.CreateReceiver("q");

        var message = await BrokerHarness.ReceiveAsync(receiver);
        await receiver.DeadLetterMessageAsync(message, new Dictionary<string, object> { ["code"] = "malformed_message" },
            "malformed_message", "body is not a GenerateRequest");

        var inspected = Assert.Single(harness.Broker.GetDeadLetters("q"));
        Assert.Equal(("malformed_message", "body is not a GenerateRequest"), (inspected.DeadLetterReason, inspected.DeadLetterErrorDescription));
        await using var deadLetters = harness.Client.CreateReceiver("q/$DeadLetterQueue");
        var dead = await BrokerHarness.ReceiveAsync(deadLetters);
        Assert.Equal(("b", "malformed_message", "body is not a GenerateRequest"), (dead.MessageId, dead.DeadLetterReason, dead.DeadLetterErrorDescription));
        Assert.Equal("malformed_message", dead.ApplicationProperties["code"]);
        Assert.Equal(message.SequenceNumber, dead.SequenceNumber);
        Assert.Equal(ServiceBusTestEventKind.DeadLettered, harness.Broker.GetEvents("q").Single(e => e.IsSettlement).Kind);
    }

    [Fact]
    public async Task Expired_lock_redelivers_with_a_higher_delivery_count_and_the_old_lock_is_lost()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q", new ServiceBusTestEntityOptions { LockDuration = TimeSpan.FromSeconds(1) });
        await harness.SendAsync("q", new ServiceBusMessage("slow") { MessageId = "s" });
        await using var receiver = harness.Client.CreateReceiver("q");

        var first = await BrokerHarness.ReceiveAsync(receiver);
        var second = await BrokerHarness.ReceiveAsync(receiver);

        Assert.Equal(("s", 2), (second.MessageId, second.DeliveryCount));
        var expired = Assert.Single(harness.Broker.GetEvents("q"), e => e.Kind == ServiceBusTestEventKind.LockExpired);
        Assert.True(expired.Timestamp >= first.LockedUntil, "the lock expired no earlier than the LockedUntil the receiver saw");
        var lost = await Assert.ThrowsAsync<ServiceBusException>(() => receiver.CompleteMessageAsync(first));
        Assert.Equal(ServiceBusFailureReason.MessageLockLost, lost.Reason);
        await receiver.CompleteMessageAsync(second);
        Assert.Equal(0, harness.Broker.GetCounts("q").Locked);
    }

    [Fact]
    public async Task Renewed_lock_moves_locked_until_and_is_counted()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q", new ServiceBusTestEntityOptions { LockDuration = TimeSpan.FromSeconds(20) });
        await harness.SendAsync("q", new ServiceBusMessage("x"));
        await using var receiver = harness.Client.CreateReceiver("q");
        var message = await BrokerHarness.ReceiveAsync(receiver);
        var firstLock = message.LockedUntil;

        await receiver.RenewMessageLockAsync(message);

        Assert.True(message.LockedUntil > firstLock);
        Assert.Equal(1, harness.Broker.GetLockRenewalCount("q"));
        await receiver.CompleteMessageAsync(message);
    }

    [Fact]
    public async Task Receive_and_delete_removes_the_message_as_it_is_delivered()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q");
        await harness.SendAsync("q", new ServiceBusMessage("once"));
        await using var receiver = harness.Client.CreateReceiver("q", new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.ReceiveAndDelete });

        var message = await BrokerHarness.ReceiveAsync(receiver);

        Assert.Equal("once", message.Body.ToString());
        Assert.Equal(new ServiceBusTestEntityCounts(0, 0, 0, 0, 0), harness.Broker.GetCounts("q"));
        Assert.Contains(harness.Broker.GetEvents("q"), e => e.Kind == ServiceBusTestEventKind.ReceivedAndDeleted);
    }

    [Fact]
    public async Task Deferred_message_is_received_by_sequence_number_and_completed()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q");
        await harness.SendAsync("q", new ServiceBusMessage("later") { MessageId = "d" }, new ServiceBusMessage("now") { MessageId = "n" });
        await using var receiver = harness.Client.CreateReceiver("q");

        var deferred = await BrokerHarness.ReceiveAsync(receiver);
        await receiver.DeferMessageAsync(deferred);
        var next = await BrokerHarness.ReceiveAsync(receiver);
        await receiver.CompleteMessageAsync(next);
        Assert.Equal(1, harness.Broker.GetCounts("q").Deferred);

        var again = await receiver.ReceiveDeferredMessageAsync(deferred.SequenceNumber);
        Assert.Equal(("d", "n"), (again.MessageId, next.MessageId));
        await receiver.CompleteMessageAsync(again);
        Assert.Equal(new ServiceBusTestEntityCounts(0, 0, 0, 0, 0), harness.Broker.GetCounts("q"));
    }

    [Fact]
    public async Task Peek_returns_messages_without_locking_them()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q");
        await harness.SendAsync("q", new ServiceBusMessage("a") { MessageId = "1" }, new ServiceBusMessage("b") { MessageId = "2" });
        await using var receiver = harness.Client.CreateReceiver("q");

        var peeked = await receiver.PeekMessagesAsync(10);

        Assert.Equal(["1", "2"], peeked.Select(m => m.MessageId));
        Assert.Equal(2, harness.Broker.GetCounts("q").Active);
    }

    [Fact]
    public async Task A_batch_send_stores_each_message()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q");
        await using var sender = harness.Client.CreateSender("q");
        using var batch = await sender.CreateMessageBatchAsync();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(batch.TryAddMessage(new ServiceBusMessage($"m{i}") { MessageId = $"id{i}" }));
        }

        await sender.SendMessagesAsync(batch);
        await using var receiver = harness.Client.CreateReceiver("q");
        var received = await receiver.ReceiveMessagesAsync(3, BrokerHarness.Patience);

        Assert.Equal(["m0", "m1", "m2"], received.Select(m => m.Body.ToString()));
        Assert.Equal([1L, 2L, 3L], received.Select(m => m.SequenceNumber));
    }

    [Fact]
    public async Task A_message_over_the_announced_size_is_refused()
    {
        await using var harness = BrokerHarness.Start(new ServiceBusTestBrokerOptions { MaxMessageSizeBytes = 4096 });
        harness.Broker.CreateQueue("q");
        await using var sender = harness.Client.CreateSender("q");

        var refused = await Assert.ThrowsAsync<ServiceBusException>(() => sender.SendMessageAsync(new ServiceBusMessage(new byte[8192])));

        Assert.Equal(ServiceBusFailureReason.MessageSizeExceeded, refused.Reason);
        Assert.Equal(0, harness.Broker.GetCounts("q").Active);
    }

    [Fact]
    public async Task Unknown_entity_is_reported_as_not_found()
    {
        await using var harness = BrokerHarness.Start();
        await using var sender = harness.Client.CreateSender("missing");

        var missing = await Assert.ThrowsAsync<ServiceBusException>(() => sender.SendMessageAsync(new ServiceBusMessage("x")));

        Assert.Equal(ServiceBusFailureReason.MessagingEntityNotFound, missing.Reason);
    }

    [Fact]
    public async Task Expired_message_is_dead_lettered_when_the_entity_says_so()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q", new ServiceBusTestEntityOptions { DeadLetteringOnMessageExpiration = true });
        await harness.SendAsync("q", new ServiceBusMessage("stale") { MessageId = "t", TimeToLive = TimeSpan.FromMilliseconds(200) });

        var deadLettered = await harness.Broker.WaitForEventAsync(e => e.Kind == ServiceBusTestEventKind.DeadLettered, BrokerHarness.Patience);

        var enqueued = harness.Broker.GetEvents("q").First(e => e.Kind == ServiceBusTestEventKind.Enqueued);
        Assert.True(deadLettered.Timestamp - enqueued.Timestamp >= TimeSpan.FromMilliseconds(200));
        var dead = Assert.Single(harness.Broker.GetDeadLetters("q"));
        Assert.Equal(("t", ServiceBusTestBroker.TtlExpiredReason), (dead.MessageId, dead.DeadLetterReason));
    }
}
