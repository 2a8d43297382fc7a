using Microsoft.Extensions.Time.Testing;
using LlmQueue.Serving.Redis;
using LlmQueue.TestKit.Serving;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace LlmQueue.Serving.Tests.Redis;

/// <summary>The reconnect schedule against the client's way of asking (unit), and its log lines against a real Redis going away.</summary>
public sealed class RedisReconnectScheduleTests
{
    private static readonly TimeSpan s_first = TimeSpan.FromSeconds(2);

    [Fact]
    public void Delays_start_at_the_first_double_and_stop_growing_at_30_seconds()
    {
        var schedule = new RedisReconnectSchedule(s_first, "redis:6379", new FakeLogger());

        Assert.Equal(s_first, schedule.DelayAfter(0));
        Assert.Equal(s_first * 2, schedule.DelayAfter(1));
        Assert.Equal(s_first * 4, schedule.DelayAfter(2));
        Assert.Equal(TimeSpan.FromSeconds(30), schedule.DelayAfter(10));
        Assert.Equal(TimeSpan.FromSeconds(30), schedule.DelayAfter(long.MaxValue));
    }

    [Fact]
    public void One_warning_per_failed_attempt_however_many_connections_ask()
    {
        var time = new FakeTimeProvider();
        var logger = new FakeLogger();
        var schedule = new RedisReconnectSchedule(s_first, "redis:6379", logger, time);

        schedule.Failed("SocketFailure (Connection refused)");
        // Both connections (interactive, subscription) ask every heartbeat; the first delay has not passed.
        Assert.False(schedule.ShouldRetry(0, 1000));
        Assert.False(schedule.ShouldRetry(0, 1000));
        Assert.True(schedule.ShouldRetry(0, 2000));
        Assert.True(schedule.ShouldRetry(0, 2000));
        // Asked again with one attempt made: it did not connect.
        Assert.False(schedule.ShouldRetry(1, 0));
        Assert.False(schedule.ShouldRetry(1, 10));
        Assert.False(schedule.ShouldRetry(1, 1000));

        var lines = logger.Collector.GetSnapshot();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, line => Assert.Equal((LogLevel.Warning, null), (line.Level, line.Exception)));
        Assert.Contains("SocketFailure (Connection refused)", lines[0].Message, StringComparison.Ordinal);
        Assert.Contains($"next connection attempt in 2 s (at {time.GetUtcNow() + s_first:HH:mm:ss} UTC)", lines[0].Message, StringComparison.Ordinal);
        Assert.Contains("connection attempt 1 failed", lines[1].Message, StringComparison.Ordinal);
        Assert.Contains($"next attempt in 4 s (at {time.GetUtcNow() + s_first * 2:HH:mm:ss} UTC)", lines[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void After_a_restore_the_next_outage_is_reported_from_its_first_attempt()
    {
        var logger = new FakeLogger();
        var schedule = new RedisReconnectSchedule(s_first, "redis:6379", logger);
        schedule.Failed("first outage");
        schedule.ShouldRetry(1, 0);
        schedule.ShouldRetry(2, 0);

        schedule.Restored();
        schedule.Failed("second outage");
        schedule.ShouldRetry(1, 0);

        var messages = logger.Collector.GetSnapshot().Select(line => line.Message).ToList();
        Assert.Equal(6, messages.Count);
        Assert.Contains("connected again", messages[3], StringComparison.Ordinal);
        Assert.Contains("connection attempt 1 failed", messages[5], StringComparison.Ordinal);
        Assert.Contains("second outage", messages[5], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redis_that_goes_away_gives_one_warning_line_per_attempt_without_stack_traces_and_one_line_when_back()
    {
        using var redis = await RedisServer.StartAsync();
        var logger = new FakeLogger();
        using var connection = RedisConnection.Connect(redis.ConnectionString + ",connectTimeout=2000", logger);
        Assert.True(connection.IsConnected);

        redis.Stop();
        await WaitForAsync(logger, "connection attempt 2 failed");
        await redis.StartAgainAsync();
        await WaitForAsync(logger, "connected again");

        var lines = logger.Collector.GetSnapshot();
        Assert.All(lines, line => Assert.Null(line.Exception));
        var warnings = lines.Where(line => line.Level == LogLevel.Warning).Select(line => line.Message).ToList();
        Assert.Single(warnings, message => message.Contains("next connection attempt in", StringComparison.Ordinal));
        var attempts = warnings.Where(message => message.Contains("connection attempt ", StringComparison.Ordinal) && message.Contains(" failed", StringComparison.Ordinal)).ToList();
        Assert.Equal(attempts.Distinct().Count(), attempts.Count);
        Assert.Equal(Enumerable.Range(1, attempts.Count).Select(n => $"connection attempt {n} failed"),
            attempts.Select(message => message[message.IndexOf("connection attempt ", StringComparison.Ordinal)..(message.IndexOf(" failed", StringComparison.Ordinal) + " failed".Length)]));
    }

    [Fact]
    public void A_redis_unreachable_at_start_is_one_warning_and_the_worker_goes_on()
    {
        var logger = new FakeLogger();

        using var connection = RedisConnection.Connect($"127.0.0.1:{LoopbackPort.Free()},connectTimeout=1000", logger);

        Assert.False(connection.IsConnected);
        var line = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal((LogLevel.Warning, null), (line.Level, line.Exception));
        Assert.Contains("unreachable at start", line.Message, StringComparison.Ordinal);
    }

    private static async Task WaitForAsync(FakeLogger logger, string text)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!logger.Collector.GetSnapshot().Any(line => line.Message.Contains(text, StringComparison.Ordinal)))
        {
            Assert.False(deadline.IsCancellationRequested, $"no log line with '{text}'; lines: {string.Join(" | ", logger.Collector.GetSnapshot().Select(l => l.Message))}");
            await Task.Delay(50, CancellationToken.None);
        }
    }
}
