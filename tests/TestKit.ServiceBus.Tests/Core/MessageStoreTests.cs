using LlmQueue.TestKit.ServiceBus.Core;
using Microsoft.Extensions.Time.Testing;

namespace LlmQueue.TestKit.ServiceBus.Tests.Core;

/// <summary>The store's rules on a clock that moves only when told to.</summary>
public class MessageStoreTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero));

    private (MessageStore Store, BrokerEnvironment Env) NewStore(ServiceBusTestEntityOptions options)
    {
        var env = new BrokerEnvironment(new ServiceBusTestBrokerOptions { TimeProvider = _clock });
        return (new MessageStore(env, "q", options), env);
    }

    private static IncomingMessage Incoming(string id, string? sessionId = null, TimeSpan? ttl = null, DateTime? scheduled = null) =>
        new([], id, sessionId, null, ttl, scheduled);

    private DateTime Now => _clock.GetUtcNow().UtcDateTime;

    [Fact]
    public void An_expired_lock_counts_a_delivery_and_the_last_allowed_one_dead_letters()
    {
        var (store, env) = NewStore(new ServiceBusTestEntityOptions { LockDuration = TimeSpan.FromSeconds(30), MaxDeliveryCount = 2 });
        var receiver = new RecordingTarget(credit: 10);
        store.AddReceiver(receiver);
        store.Enqueue(Incoming("m"));

        _clock.Advance(TimeSpan.FromSeconds(29));
        store.Sweep(Now);
        Assert.Single(receiver.Received);
        _clock.Advance(TimeSpan.FromSeconds(1));
        store.Sweep(Now);
        Assert.Equal([0, 1], receiver.Received.Select(r => r.DeliveryCount));
        _clock.Advance(TimeSpan.FromSeconds(30));
        store.Sweep(Now);

        Assert.Equal(2, receiver.Received.Count);
        Assert.Equal(new ServiceBusTestEntityCounts(0, 0, 0, 0, DeadLettered: 1), store.Counts());
        var dead = Assert.Single(store.DeadLetterQueue!.Messages());
        Assert.Equal(ServiceBusTestBroker.MaxDeliveryCountExceededReason, dead.PropertyOverrides[ServiceBusTestBroker.DeadLetterReasonProperty]);
        Assert.Equal(2, env.Events.Snapshot(e => e.Kind == ServiceBusTestEventKind.LockExpired).Count);
    }

    [Fact]
    public void Settling_with_an_expired_lock_reports_lock_lost_even_before_the_sweep()
    {
        var (store, _) = NewStore(new ServiceBusTestEntityOptions { LockDuration = TimeSpan.FromSeconds(5) });
        var receiver = new RecordingTarget(credit: 1);
        store.AddReceiver(receiver);
        store.Enqueue(Incoming("m"));
        var lockToken = receiver.Received[0].LockToken;

        _clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(SettleResult.MessageLockLost, store.Settle(lockToken, new Settlement(SettlementKind.Complete)));
        Assert.Equal(1, store.Counts().Active);
    }

    [Fact]
    public void Time_to_live_is_the_shorter_of_the_message_and_the_entity_default()
    {
        var (store, env) = NewStore(new ServiceBusTestEntityOptions { DefaultMessageTimeToLive = TimeSpan.FromMinutes(1) });
        store.Enqueue(Incoming("long", ttl: TimeSpan.FromHours(1)));
        store.Enqueue(Incoming("short", ttl: TimeSpan.FromSeconds(10)));

        _clock.Advance(TimeSpan.FromSeconds(10));
        store.Sweep(Now);
        Assert.Equal(["short"], env.Events.Snapshot(e => e.Kind == ServiceBusTestEventKind.Expired).Select(e => e.MessageId));
        _clock.Advance(TimeSpan.FromSeconds(50));
        store.Sweep(Now);

        Assert.Equal(["short", "long"], env.Events.Snapshot(e => e.Kind == ServiceBusTestEventKind.Expired).Select(e => e.MessageId));
        Assert.Equal(new ServiceBusTestEntityCounts(0, 0, 0, 0, 0), store.Counts());
    }

    [Fact]
    public void Deliveries_follow_credit_and_alternate_between_receivers()
    {
        var (store, _) = NewStore(new ServiceBusTestEntityOptions());
        var first = new RecordingTarget(credit: 2);
        var second = new RecordingTarget(credit: 1);
        store.AddReceiver(first);
        store.AddReceiver(second);

        for (var i = 1; i <= 4; i++)
        {
            store.Enqueue(Incoming($"m{i}"));
        }

        Assert.Equal([1L, 3L], first.Received.Select(r => r.SequenceNumber));
        Assert.Equal([2L], second.Received.Select(r => r.SequenceNumber));
        Assert.Equal(new ServiceBusTestEntityCounts(Active: 1, Locked: 3, 0, 0, 0), store.Counts());
    }

    [Fact]
    public void Accept_next_session_waits_for_a_session_and_times_out_at_its_deadline()
    {
        var (store, _) = NewStore(new ServiceBusTestEntityOptions { RequiresSession = true });
        var patient = new RecordingTarget(credit: 5);
        var impatient = new RecordingTarget(credit: 5);
        store.RequestSession(impatient, sessionId: null, deadline: Now.AddSeconds(5));
        store.RequestSession(patient, sessionId: null, deadline: Now.AddMinutes(1));

        _clock.Advance(TimeSpan.FromSeconds(5));
        store.Sweep(Now);
        store.Enqueue(Incoming("m", sessionId: "client-1"));

        Assert.Equal((ErrorConditions.Timeout, (string?)null), (impatient.RefusedWith, impatient.SessionId));
        Assert.Equal("client-1", patient.SessionId);
        Assert.Single(patient.Received);
    }

    [Fact]
    public void An_expired_session_lock_is_taken_from_its_receiver_and_its_messages_count_a_delivery()
    {
        var (store, _) = NewStore(new ServiceBusTestEntityOptions { RequiresSession = true, LockDuration = TimeSpan.FromSeconds(10) });
        store.Enqueue(Incoming("m", sessionId: "s"));
        var holder = new RecordingTarget(credit: 1);
        store.RequestSession(holder, "s", Now.AddMinutes(1));

        _clock.Advance(TimeSpan.FromSeconds(10));
        store.Sweep(Now);
        var next = new RecordingTarget(credit: 1);
        store.RequestSession(next, "s", Now.AddMinutes(1));

        Assert.True(holder.LockLost);
        Assert.Equal(("s", 1), (next.SessionId, Assert.Single(next.Received).DeliveryCount));
    }
}
