using LlmQueue.Engine.KvCache.Remote;
using StackExchange.Redis;

namespace LlmQueue.Serving.Redis;

/// <summary>
/// The remote KV store on Redis, and the only class that uses StackExchange.Redis (1.2.6, the version that
/// restores here; an upgrade should touch only this file). It connects without failing when Redis is down
/// and reconnects on its own; while disconnected its calls fail fast and the tier counts misses.
/// </summary>
public sealed class RedisKvStore : IRemoteKvStore, IDisposable
{
    private readonly ConnectionMultiplexer _connection;

    private RedisKvStore(ConnectionMultiplexer connection) => _connection = connection;

    public bool IsConnected => _connection.IsConnected;

    /// <summary>Connects to <paramref name="connectionString"/> (StackExchange.Redis syntax, e.g. "host:6380,password=...,ssl=true").</summary>
    public static RedisKvStore Connect(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var options = ConfigurationOptions.Parse(connectionString);
        // Start even when Redis is unreachable and keep retrying in the background: a missing cache tier must
        // not stop the worker.
        options.AbortOnConnectFail = false;
        return new RedisKvStore(ConnectionMultiplexer.Connect(options));
    }

    /// <summary>One GET per key, sent together as a batch: one round trip, and unlike MGET fine on a Redis cluster.</summary>
    public async Task<byte[]?[]> GetManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var batch = _connection.GetDatabase().CreateBatch();
        var gets = new Task<RedisValue>[keys.Count];
        for (var i = 0; i < gets.Length; i++)
        {
            gets[i] = batch.StringGetAsync(keys[i]);
        }

        batch.Execute();
        var values = await Task.WhenAll(gets);
        return Array.ConvertAll(values, value => (byte[]?)value);
    }

    public Task<bool> SetIfAbsentAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken) =>
        _connection.GetDatabase().StringSetAsync(key, value, ttl, When.NotExists);

    public void Dispose() => _connection.Dispose();
}
