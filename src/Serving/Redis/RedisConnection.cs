using StackExchange.Redis;

namespace LlmQueue.Serving.Redis;

/// <summary>The worker's one Redis connection (prefix tier and cancel broadcast share it).</summary>
public static class RedisConnection
{
    /// <summary>Connects to <paramref name="connectionString"/> (StackExchange.Redis syntax, e.g. "host:6380,password=...,ssl=true").</summary>
    public static IConnectionMultiplexer Connect(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var options = ConfigurationOptions.Parse(connectionString);
        // Start even when Redis is unreachable and keep retrying in the background: a missing cache tier must not
        // stop the worker.
        options.AbortOnConnectFail = false;
        return ConnectionMultiplexer.Connect(options);
    }
}
