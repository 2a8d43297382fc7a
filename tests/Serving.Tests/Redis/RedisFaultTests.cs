using System.Diagnostics;
using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Serving.Redis;
using StackExchange.Redis;
using LlmQueue.TestKit.Serving;

namespace LlmQueue.Serving.Tests.Redis;

/// <summary>Each test runs its own redis-server, since it fills it up or kills it.</summary>
public sealed class RedisFaultTests
{
    private static readonly TimeSpan _recoveryTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_full_redis_with_allkeys_lru_evicts_old_blocks_and_every_write_succeeds()
    {
        using var redis = await RedisServer.StartAsync("--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru");
        using var store = RedisKvStore.Connect(redis.ConnectionString);
        var tier = new RemoteKvTier(store, TestBlocks.Options(redis.ConnectionString) with { WriteQueueCapacity = 256 });

        for (var i = 0; i < 200; i++)
        {
            Assert.True(tier.TryWrite($"block:{i}", TestBlocks.Header, TestBlocks.Payload(i)));
        }

        await tier.DisposeAsync();

        var stats = tier.Stats;
        Assert.Equal((200, 0, 0), (stats.ValuesWritten, stats.StoreErrors, stats.StoreTimeouts));
        Assert.All(stats.WriteDrops.Values, drops => Assert.Equal(0, drops));
        using var inspector = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        Assert.InRange(await inspector.GetServer(inspector.GetEndPoints()[0]).DatabaseSizeAsync(), 1, 199);
    }

    [Fact]
    public async Task A_full_redis_without_eviction_drops_writes_instead_of_failing_the_caller()
    {
        using var redis = await RedisServer.StartAsync("--maxmemory", "2mb", "--maxmemory-policy", "noeviction");
        using var store = RedisKvStore.Connect(redis.ConnectionString);
        var tier = new RemoteKvTier(store, TestBlocks.Options(redis.ConnectionString) with { WriteQueueCapacity = 256, BreakerThreshold = 1_000 });

        for (var i = 0; i < 100; i++)
        {
            Assert.True(tier.TryWrite($"block:{i}", TestBlocks.Header, TestBlocks.Payload(i)));
        }

        await tier.DisposeAsync();

        var stats = tier.Stats;
        Assert.InRange(stats.ValuesWritten, 1, 99);
        Assert.Equal(100 - stats.ValuesWritten, stats.WriteDrops[RemoteKvWriteDrop.Fault]);
        Assert.Equal(stats.WriteDrops[RemoteKvWriteDrop.Fault], stats.StoreErrors);
    }

    [Fact]
    public async Task Redis_restarted_lookups_miss_while_down_the_breaker_opens_and_hits_resume_on_the_same_store()
    {
        using var redis = await RedisServer.StartAsync();
        using var store = RedisKvStore.Connect(redis.ConnectionString);
        var options = TestBlocks.Options(redis.ConnectionString) with { BreakerThreshold = 2, BreakerCoolDownMilliseconds = 200, TimeoutMilliseconds = 2_000 };
        await using var tier = new RemoteKvTier(store, options);
        var payload = TestBlocks.Payload(seed: 3);
        await SeedAsync(redis, options, payload);
        Assert.NotNull((await tier.LookupAsync(["block:0"], TestBlocks.Header))[0]);

        redis.Stop();
        for (var i = 0; i < options.BreakerThreshold; i++)
        {
            Assert.Null((await tier.LookupAsync(["block:0"], TestBlocks.Header))[0]);
        }

        Assert.Equal((CircuitState.Open, 1), (tier.Stats.BreakerState, tier.Stats.BreakerOpens));
        Assert.Null((await tier.LookupAsync(["block:0"], TestBlocks.Header))[0]);
        Assert.Equal(1, tier.Stats.ShortCircuits);

        await redis.StartAgainAsync(); // empty again: no persistence
        await SeedAsync(redis, options, payload);
        var found = await LookupUntilHitAsync(tier, "block:0");

        Assert.Equal(payload, found.ToArray());
        Assert.Equal(CircuitState.Closed, tier.Stats.BreakerState);
        Assert.True(store.IsConnected);
    }

    /// <summary>Writes a block the way another replica would, through a connection of its own.</summary>
    private static async Task SeedAsync(RedisServer redis, RemoteKvOptions options, byte[] payload)
    {
        using var store = RedisKvStore.Connect(redis.ConnectionString);
        var writer = new RemoteKvTier(store, options);
        writer.TryWrite("block:0", TestBlocks.Header, payload);
        await writer.DisposeAsync();
        Assert.Equal(1, writer.Stats.ValuesWritten);
    }

    // The store reconnects in the background on its own schedule, so the test polls for the first hit.
    private static async Task<ReadOnlyMemory<byte>> LookupUntilHitAsync(RemoteKvTier tier, string key)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < _recoveryTimeout)
        {
            if ((await tier.LookupAsync([key], TestBlocks.Header))[0] is { } hit)
            {
                return hit;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        throw new TimeoutException($"No hit within {_recoveryTimeout} after Redis restarted; {tier.Stats}.");
    }
}
