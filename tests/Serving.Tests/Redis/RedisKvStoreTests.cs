using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Serving.Redis;
using StackExchange.Redis;
using LlmQueue.TestKit.Serving;

namespace LlmQueue.Serving.Tests.Redis;

public sealed class RedisKvStoreTests(SharedRedis redis) : IClassFixture<SharedRedis>, IDisposable
{
    private readonly RedisKvStore _store = RedisKvStore.Connect(redis.ConnectionString);

    [Fact]
    public async Task Pipelined_get_returns_present_values_and_null_for_missing_keys()
    {
        var keys = Enumerable.Range(0, 100).Select(i => TestBlocks.UniqueKey($"k{i}")).ToArray();
        for (var i = 0; i < keys.Length; i += 2)
        {
            Assert.True(await _store.SetIfAbsentAsync(keys[i], [(byte)i, 1, 2], TimeSpan.FromMinutes(5), CancellationToken.None));
        }

        var values = await _store.GetManyAsync(keys, CancellationToken.None);

        Assert.Equal(keys.Length, values.Length);
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal(i % 2 == 0 ? [(byte)i, 1, 2] : null, values[i]);
        }
    }

    [Fact]
    public async Task Set_if_absent_keeps_the_first_value()
    {
        var key = TestBlocks.UniqueKey("block");

        Assert.True(await _store.SetIfAbsentAsync(key, [1], TimeSpan.FromMinutes(5), CancellationToken.None));
        Assert.False(await _store.SetIfAbsentAsync(key, [2], TimeSpan.FromMinutes(5), CancellationToken.None));

        Assert.Equal([1], (await _store.GetManyAsync([key], CancellationToken.None))[0]);
    }

    [Fact]
    public async Task Values_expire_after_the_ttl()
    {
        var key = TestBlocks.UniqueKey("block");
        await _store.SetIfAbsentAsync(key, [1], TimeSpan.FromSeconds(300), CancellationToken.None);

        using var inspector = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var ttl = await inspector.GetDatabase().KeyTimeToLiveAsync(key);

        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(250), TimeSpan.FromSeconds(300));
    }

    [Fact]
    public async Task A_block_written_through_one_tier_is_a_verified_hit_on_another()
    {
        var key = TestBlocks.UniqueKey("block");
        var payload = TestBlocks.Payload(seed: 7);
        var options = TestBlocks.Options(redis.ConnectionString);
        var writer = new RemoteKvTier(_store, options);
        Assert.True(writer.TryWrite(key, TestBlocks.Header, payload));
        await writer.DisposeAsync(); // flushes the write-behind queue

        using var otherReplica = RedisKvStore.Connect(redis.ConnectionString);
        await using var reader = new RemoteKvTier(otherReplica, options);
        var found = await reader.LookupAsync([key, TestBlocks.UniqueKey("absent")], TestBlocks.Header);

        Assert.Equal(payload, found[0]!.Value.ToArray());
        Assert.Null(found[1]);
        Assert.Equal((1, 1), (reader.Stats.RemoteHits, reader.Stats.Misses));
    }

    public void Dispose() => _store.Dispose();
}
