using LlmQueue.Engine.KvCache.Remote;
using StackExchange.Redis;

namespace LlmQueue.Serving.Redis;

/// <summary>
/// The remote KV store on Redis. It works on a connection that starts without failing when Redis is down and
/// reconnects on its own; while disconnected its calls fail fast and the tier counts misses.
/// </summary>
public sealed class RedisKvStore : IRemoteKvStore, IDisposable
{
    private readonly IConnectionMultiplexer _connection;
    private readonly bool _ownsConnection;

    /// <param name="ownsConnection">Whether disposing the store closes <paramref name="connection"/>.</param>
    public RedisKvStore(IConnectionMultiplexer connection, bool ownsConnection = false)
    {
        _connection = connection;
        _ownsConnection = ownsConnection;
    }

    public bool IsConnected => _connection.IsConnected;

    /// <summary>A store on a connection of its own to <paramref name="connectionString"/>.</summary>
    public static RedisKvStore Connect(string connectionString) => new(RedisConnection.Connect(connectionString), ownsConnection: true);

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

    public void Dispose()
    {
        if (_ownsConnection)
        {
            _connection.Dispose();
        }
    }
}
