using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace LlmQueue.Serving.Redis;

/// <summary>The worker's one Redis connection (prefix tier and cancel broadcast share it).</summary>
public static class RedisConnection
{
    /// <summary>
    /// Connects to <paramref name="connectionString"/> (StackExchange.Redis syntax, e.g. "host:6380,password=...,ssl=true").
    /// Starts even when Redis is unreachable and reconnects in the background; <paramref name="logger"/> gets one
    /// warning line per failed attempt (reason, next attempt time) and an information line when it is back.
    /// </summary>
    public static IConnectionMultiplexer Connect(string connectionString, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var options = ConfigurationOptions.Parse(connectionString);
        // A missing cache tier must not stop the worker.
        options.AbortOnConnectFail = false;
        var endpoints = string.Join(", ", options.EndPoints.Select(e => e.ToString()));
        // The client's default first retry: half the connect timeout.
        var schedule = new RedisReconnectSchedule(TimeSpan.FromMilliseconds(Math.Max(1000, options.ConnectTimeout / 2)), endpoints, logger ?? NullLogger.Instance);
        options.ReconnectRetryPolicy = schedule;
        var connection = ConnectionMultiplexer.Connect(options);

        // One line per outage, not two: the subscription connection fails and recovers with the interactive one.
        connection.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                schedule.Failed($"{e.FailureType} ({Innermost(e.Exception)})");
            }
        };
        connection.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                schedule.Restored();
            }
        };

        // Failures during Connect were raised before anyone could listen.
        if (!connection.IsConnected)
        {
            schedule.Failed("unreachable at start");
        }

        return connection;
    }

    private static string Innermost(Exception? exception)
    {
        if (exception is null)
        {
            return "no detail";
        }

        while (exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        return exception.Message;
    }
}
