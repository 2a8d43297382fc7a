using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace LlmQueue.Serving.Redis;

/// <summary>
/// When the Redis client tries to reconnect, and one warning line per failed attempt with the reason and the next
/// attempt's time. The client raises ConnectionFailed only for the first failure of an outage, so the attempts are
/// seen here: it asks this policy about once a second (per connection: interactive and subscription) whether to try
/// again, passing the attempts made so far; the first question after an attempt means that attempt did not connect.
/// </summary>
public sealed partial class RedisReconnectSchedule : IReconnectRetryPolicy
{
    private static readonly TimeSpan s_maxDelay = TimeSpan.FromSeconds(30);

    private readonly TimeSpan _firstDelay;
    private readonly string _endpoints;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private long _reportedAttempts;
    private string _reason = "not connected";
    private DateTimeOffset _since;

    /// <param name="firstDelay">Wait before the first retry; each later one waits twice as long, up to 30 s.</param>
    public RedisReconnectSchedule(TimeSpan firstDelay, string endpoints, ILogger logger, TimeProvider? time = null)
    {
        _firstDelay = firstDelay;
        _endpoints = endpoints;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Wait after attempt <paramref name="attempts"/> (0 = the connection just failed) before the next one.</summary>
    public TimeSpan DelayAfter(long attempts) =>
        TimeSpan.FromTicks((long)Math.Min(s_maxDelay.Ticks, _firstDelay.Ticks * Math.Pow(2, Math.Min(attempts, 16))));

    public bool ShouldRetry(long currentRetryCount, int timeElapsedMillisecondsSinceLastRetry)
    {
        var due = DelayAfter(currentRetryCount);
        var elapsed = TimeSpan.FromMilliseconds(timeElapsedMillisecondsSinceLastRetry);
        if (elapsed >= due)
        {
            return true;
        }

        lock (_lock)
        {
            if (currentRetryCount <= _reportedAttempts)
            {
                return false;
            }

            _reportedAttempts = currentRetryCount;
        }

        var wait = due - elapsed;
        LogAttemptFailed(_logger, _endpoints, currentRetryCount, _since, _reason, wait.TotalSeconds, _time.GetUtcNow() + wait);
        return false;
    }

    /// <summary>The connection was lost (or never made): say so once, with the reason, and when the first retry comes.</summary>
    public void Failed(string reason)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            _reason = reason;
            _since = now;
            _reportedAttempts = 0;
        }

        var wait = DelayAfter(0);
        LogFailed(_logger, _endpoints, reason, wait.TotalSeconds, now + wait);
    }

    public void Restored()
    {
        lock (_lock)
        {
            _reportedAttempts = 0;
        }

        LogRestored(_logger, _endpoints);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Redis {Endpoints}: {Reason}; working without it, next connection attempt in {Seconds:F0} s (at {RetryAt:HH:mm:ss} UTC).")]
    private static partial void LogFailed(ILogger logger, string endpoints, string reason, double seconds, DateTimeOffset retryAt);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Redis {Endpoints}: connection attempt {Attempt} failed, down since {Since:HH:mm:ss} UTC ({Reason}); next attempt in {Seconds:F0} s (at {RetryAt:HH:mm:ss} UTC).")]
    private static partial void LogAttemptFailed(ILogger logger, string endpoints, long attempt, DateTimeOffset since, string reason, double seconds, DateTimeOffset retryAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis {Endpoints}: connected again.")]
    private static partial void LogRestored(ILogger logger, string endpoints);
}
