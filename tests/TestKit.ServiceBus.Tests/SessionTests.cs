using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;

namespace LlmQueue.TestKit.ServiceBus.Tests;

/// <summary>Session-enabled entities: session locks, per-session order, isolation between sessions.</summary>
public class SessionTests
{
    private static readonly ServiceBusTestEntityOptions s_sessions = new() { RequiresSession = true };

    private static ServiceBusMessage Message(string sessionId, int seq) => new($"{sessionId}:{seq}") { SessionId = sessionId, MessageId = $"{sessionId}-{seq}" };

    [Fact]
    public async Task Each_session_delivers_its_own_messages_in_order_to_the_receiver_holding_its_lock()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("replies", s_sessions);
        // Interleaved across sessions, as two clients' replies would be.
        await harness.SendAsync("replies", Message("a", 0), Message("b", 0), Message("a", 1), Message("b", 1), Message("a", 2), Message("b", 2));

        await using var a = await harness.Client.AcceptSessionAsync("replies", "a");
        await using var b = await harness.Client.AcceptSessionAsync("replies", "b");
        var fromA = await ReceiveAll(a, 3);
        var fromB = await ReceiveAll(b, 3);

        Assert.Equal(["a:0", "a:1", "a:2"], fromA.Select(m => m.Body.ToString()));
        Assert.Equal(["b:0", "b:1", "b:2"], fromB.Select(m => m.Body.ToString()));
        Assert.All(fromA, m => Assert.Equal("a", m.SessionId));
        Assert.True(a.SessionLockedUntil > DateTimeOffset.UtcNow);
        foreach (var message in fromA)
        {
            await a.CompleteMessageAsync(message);
        }

        Assert.Equal(3, harness.Broker.GetCounts("replies").Locked);
    }

    [Fact]
    public async Task A_short_batch_from_a_session_drains_the_link_and_later_receives_still_work()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q", s_sessions);
        await harness.SendAsync("q", Message("a", 0), Message("a", 1));
        await using var session = await harness.Client.AcceptSessionAsync("q", "a");

        // Fewer messages than asked for: the SDK drains the link's credit to keep the session's order.
        var batch = await session.ReceiveMessagesAsync(maxMessages: 5, BrokerHarness.Patience);
        await harness.SendAsync("q", Message("a", 2));
        var after = await BrokerHarness.ReceiveAsync(session);

        Assert.Equal(["a:0", "a:1"], batch.Select(m => m.Body.ToString()));
        Assert.Equal("a:2", after.Body.ToString());
    }

    [Fact]
    public async Task A_locked_session_cannot_be_accepted_twice()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q", s_sessions);
        await harness.SendAsync("q", Message("a", 0));
        await using var holder = await harness.Client.AcceptSessionAsync("q", "a");

        var refused = await Assert.ThrowsAsync<ServiceBusException>(() => harness.Client.AcceptSessionAsync("q", "a"));

        Assert.Equal(ServiceBusFailureReason.SessionCannotBeLocked, refused.Reason);
    }

    [Fact]
    public async Task Accept_next_session_takes_the_session_with_the_oldest_message_and_waits_when_there_is_none()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q", s_sessions);
        await harness.SendAsync("q", Message("old", 0), Message("new", 0));

        await using var first = await harness.Client.AcceptNextSessionAsync("q");
        await using var second = await harness.Client.AcceptNextSessionAsync("q");
        var waiting = harness.Client.AcceptNextSessionAsync("q");
        Assert.False(waiting.IsCompleted);
        await harness.SendAsync("q", Message("late", 0));
        await using var third = await waiting.WaitAsync(BrokerHarness.Patience);

        Assert.Equal(["old", "new", "late"], [first.SessionId, second.SessionId, third.SessionId]);
        Assert.Equal("late:0", (await BrokerHarness.ReceiveAsync(third)).Body.ToString());
    }

    [Fact]
    public async Task Session_lock_renewal_moves_the_expiry_and_is_counted()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q", s_sessions with { LockDuration = TimeSpan.FromSeconds(20) });
        await harness.SendAsync("q", Message("a", 0));
        await using var session = await harness.Client.AcceptSessionAsync("q", "a");
        var before = session.SessionLockedUntil;

        await session.RenewSessionLockAsync();

        Assert.True(session.SessionLockedUntil > before);
        Assert.Equal(1, harness.Broker.GetSessionLockRenewalCount("q"));
        await session.SetSessionStateAsync(BinaryData.FromString("checkpoint"));
        Assert.Equal("checkpoint", (await session.GetSessionStateAsync()).ToString());
    }

    [Fact]
    public async Task Expired_session_lock_loses_the_session_and_its_messages_go_to_the_next_receiver()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q", s_sessions with { LockDuration = TimeSpan.FromSeconds(1) });
        await harness.SendAsync("q", Message("a", 0));
        var stale = await harness.Client.AcceptSessionAsync("q", "a");
        var message = await BrokerHarness.ReceiveAsync(stale);

        var released = await harness.Broker.WaitForEventAsync(e => e.Kind == ServiceBusTestEventKind.SessionReleased, BrokerHarness.Patience);
        var lost = await Assert.ThrowsAnyAsync<Exception>(() => stale.CompleteMessageAsync(message));
        await using var next = await harness.Client.AcceptNextSessionAsync("q");
        var again = await BrokerHarness.ReceiveAsync(next);

        Assert.Equal("lock expired", released.Detail);
        // The broker detaches the link with session-lock-lost; until the SDK has seen the detach, the settlement is
        // refused with SessionLockLost, afterwards the receiver reports itself closed.
        Assert.True(lost is ServiceBusException { Reason: ServiceBusFailureReason.SessionLockLost } or ObjectDisposedException, lost.ToString());
        Assert.Equal(("a", "a-0", 2), (next.SessionId, again.MessageId, again.DeliveryCount));
        await next.CompleteMessageAsync(again);
        await stale.DisposeAsync();
    }

    [Fact]
    public async Task Session_processor_keeps_order_within_each_session()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q", s_sessions);
        var sessions = new[] { "s1", "s2", "s3" };
        await harness.SendAsync("q", [.. Enumerable.Range(0, 4).SelectMany(i => sessions.Select(s => Message(s, i)))]);
        var seen = new ConcurrentDictionary<string, ConcurrentQueue<string>>();
        var total = 0;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var processor = harness.Client.CreateSessionProcessor("q", new ServiceBusSessionProcessorOptions
        {
            AutoCompleteMessages = false,
            PrefetchCount = 0,
            MaxConcurrentSessions = 2,
            SessionIdleTimeout = TimeSpan.FromSeconds(1),
        });
        processor.ProcessMessageAsync += async args =>
        {
            seen.GetOrAdd(args.SessionId, _ => new ConcurrentQueue<string>()).Enqueue(args.Message.Body.ToString());
            await args.CompleteMessageAsync(args.Message);
            if (Interlocked.Increment(ref total) == 12)
            {
                allDone.TrySetResult();
            }
        };
        processor.ProcessErrorAsync += _ => Task.CompletedTask;

        await processor.StartProcessingAsync();
        await allDone.Task.WaitAsync(BrokerHarness.Patience);
        await processor.StopProcessingAsync();

        foreach (var session in sessions)
        {
            Assert.Equal(Enumerable.Range(0, 4).Select(i => $"{session}:{i}"), seen[session]);
        }
    }

    [Fact]
    public async Task Replies_reach_the_requesting_client_through_its_reply_session()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("requests");
        harness.Broker.CreateQueue("client-replies", s_sessions);
        await harness.SendAsync("requests", new ServiceBusMessage("prompt") { MessageId = "r1", ReplyTo = "client-replies", ReplyToSessionId = "r1" });

        await using (var worker = harness.Client.CreateReceiver("requests"))
        {
            var request = await BrokerHarness.ReceiveAsync(worker);
            await harness.SendAsync(request.ReplyTo, [.. Enumerable.Range(0, 3).Select(i => new ServiceBusMessage($"chunk {i}") { SessionId = request.ReplyToSessionId })]);
            await worker.CompleteMessageAsync(request);
        }

        await using var replies = await harness.Client.AcceptSessionAsync("client-replies", "r1");
        var chunks = await ReceiveAll(replies, 3);
        Assert.Equal(["chunk 0", "chunk 1", "chunk 2"], chunks.Select(m => m.Body.ToString()));
    }

    [Fact]
    public async Task A_session_entity_refuses_messages_without_a_session_and_plain_receivers()
    {
        await using var harness = BrokerHarness.Start();
        harness.Broker.CreateQueue("q", s_sessions);
        await using var sender = harness.Client.CreateSender("q");
        await using var plain = harness.Client.CreateReceiver("q");

        var unsessioned = await Assert.ThrowsAsync<InvalidOperationException>(() => sender.SendMessageAsync(new ServiceBusMessage("no session")));
        var plainReceive = await Assert.ThrowsAsync<InvalidOperationException>(() => plain.ReceiveMessageAsync(BrokerHarness.Patience));

        Assert.Contains("SessionId", unsessioned.Message, StringComparison.Ordinal);
        Assert.Contains("requires sessions", plainReceive.Message, StringComparison.Ordinal);

        Assert.Equal(0, harness.Broker.GetCounts("q").Active);
    }

    private static async Task<List<ServiceBusReceivedMessage>> ReceiveAll(ServiceBusReceiver receiver, int count)
    {
        var received = new List<ServiceBusReceivedMessage>();
        while (received.Count < count)
        {
            received.Add(await BrokerHarness.ReceiveAsync(receiver));
        }

        return received;
    }
}
