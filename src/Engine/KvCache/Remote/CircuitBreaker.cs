namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>
/// Stops calling a failing store: after <c>threshold</c> consecutive faults it opens for <c>coolDown</c>,
/// then lets one probe through (half-open); the probe's outcome closes it or opens it again. A probe that
/// never reports (its caller gave up) is replaced by another after a further cool-down. Thread-safe.
/// </summary>
public sealed class CircuitBreaker
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly int _threshold;
    private readonly TimeSpan _coolDown;
    private int _consecutiveFaults;
    private long _openedOrProbedAt;
    private CircuitState _state;

    public CircuitBreaker(int threshold, TimeSpan coolDown, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(coolDown, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(time);
        _threshold = threshold;
        _coolDown = coolDown;
        _time = time;
    }

    public CircuitState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>Whether a call may go to the store now; when true, report its outcome.</summary>
    public bool TryAcquire()
    {
        lock (_lock)
        {
            if (_state == CircuitState.Closed)
            {
                return true;
            }

            if (_time.GetElapsedTime(_openedOrProbedAt) < _coolDown)
            {
                return false;
            }

            _state = CircuitState.HalfOpen;
            _openedOrProbedAt = _time.GetTimestamp();
            return true;
        }
    }

    public void RecordSuccess()
    {
        lock (_lock)
        {
            _consecutiveFaults = 0;
            _state = CircuitState.Closed;
        }
    }

    /// <summary>Counts a fault; true when it opened the breaker (a failed probe re-opens it).</summary>
    public bool RecordFault()
    {
        lock (_lock)
        {
            _consecutiveFaults++;
            var opens = _state == CircuitState.HalfOpen || (_state == CircuitState.Closed && _consecutiveFaults >= _threshold);
            if (opens)
            {
                _state = CircuitState.Open;
                _openedOrProbedAt = _time.GetTimestamp();
            }

            return opens;
        }
    }
}
