using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.TestKit;

namespace LlmQueue.Engine.Tests.KvCache.Remote;

public class CircuitBreakerTests
{
    private static readonly TimeSpan _coolDown = TimeSpan.FromSeconds(10);
    private readonly ManualTimeProvider _clock = new();
    private readonly CircuitBreaker _breaker;

    public CircuitBreakerTests() => _breaker = new CircuitBreaker(threshold: 3, _coolDown, _clock);

    [Fact]
    public void Opens_after_threshold_consecutive_faults_only()
    {
        Assert.False(_breaker.RecordFault());
        Assert.False(_breaker.RecordFault());
        _breaker.RecordSuccess();
        Assert.False(_breaker.RecordFault());
        Assert.False(_breaker.RecordFault());
        Assert.Equal(CircuitState.Closed, _breaker.State);

        Assert.True(_breaker.RecordFault());

        Assert.Equal(CircuitState.Open, _breaker.State);
        Assert.False(_breaker.TryAcquire());
    }

    [Fact]
    public void Lets_one_probe_through_after_the_cool_down_and_closes_on_its_success()
    {
        Open();
        _clock.Advance(_coolDown - TimeSpan.FromTicks(1));
        Assert.False(_breaker.TryAcquire());

        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.True(_breaker.TryAcquire());
        Assert.Equal(CircuitState.HalfOpen, _breaker.State);
        Assert.False(_breaker.TryAcquire()); // one probe at a time

        _breaker.RecordSuccess();
        Assert.Equal(CircuitState.Closed, _breaker.State);
        Assert.True(_breaker.TryAcquire());
    }

    [Fact]
    public void A_failed_probe_opens_it_again_for_a_full_cool_down()
    {
        Open();
        _clock.Advance(_coolDown);
        Assert.True(_breaker.TryAcquire());

        Assert.True(_breaker.RecordFault());

        Assert.Equal(CircuitState.Open, _breaker.State);
        _clock.Advance(_coolDown / 2);
        Assert.False(_breaker.TryAcquire());
        _clock.Advance(_coolDown / 2);
        Assert.True(_breaker.TryAcquire());
    }

    [Fact]
    public void A_probe_that_never_reports_is_replaced_after_another_cool_down()
    {
        Open();
        _clock.Advance(_coolDown);
        Assert.True(_breaker.TryAcquire());

        _clock.Advance(_coolDown);

        Assert.True(_breaker.TryAcquire());
    }

    [Fact]
    public void A_late_fault_while_open_does_not_extend_the_cool_down()
    {
        Open();
        _clock.Advance(_coolDown / 2);

        Assert.False(_breaker.RecordFault());
        _clock.Advance(_coolDown / 2);

        Assert.True(_breaker.TryAcquire());
    }

    private void Open()
    {
        for (var i = 0; i < 3; i++)
        {
            _breaker.RecordFault();
        }

        Assert.Equal(CircuitState.Open, _breaker.State);
    }
}
