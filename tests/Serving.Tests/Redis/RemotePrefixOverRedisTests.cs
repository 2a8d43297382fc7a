using System.Diagnostics;
using LlmQueue.Engine;
using LlmQueue.Engine.Cpu;
using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Engine.Sampling;
using LlmQueue.Serving.Redis;
using Microsoft.Extensions.Logging.Abstractions;
using LlmQueue.TestKit.Serving;

namespace LlmQueue.Serving.Tests.Redis;

/// <summary>
/// Engines built the way the worker builds them (EngineFactory, synthetic checkpoint, content fingerprint), sharing a
/// private redis-server: what replica A computed, replica B loads; a Redis outage never fails a request.
/// </summary>
public sealed class RemotePrefixOverRedisTests : IDisposable
{
    private static readonly TimeSpan _recoveryTimeout = TimeSpan.FromSeconds(60);

    private static readonly string Prompt =
        "Replicas behind one queue see the same system prompts and few-shot prefixes; what one replica has prefilled, "
        + "every other should load instead of recomputing it from scratch.";

    private readonly string _cache = Path.Combine(Path.GetTempPath(), "llmq-redis-engine-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Replica_b_serves_a_prefix_replica_a_computed_with_cached_tokens_and_identical_output()
    {
        using var redis = await RedisServer.StartAsync();
        var cold = await RunReplicaAsync(redis, Prompt, salt: null);
        var warm = await RunReplicaAsync(redis, Prompt, salt: null);
        var otherTenant = await RunReplicaAsync(redis, Prompt, salt: "someone-else");

        Assert.Equal(0, cold.CachedPromptTokens);
        Assert.True(warm.CachedPromptTokens > 0);
        Assert.Equal(cold.TokenIds, warm.TokenIds);
        Assert.Equal(0, otherTenant.CachedPromptTokens);
    }

    [Fact]
    public async Task Redis_stopped_mid_run_and_restarted_every_request_completes_and_hits_resume()
    {
        using var redis = await RedisServer.StartAsync();
        using var writerStore = RedisKvStore.Connect(redis.ConnectionString);
        using var readerStore = RedisKvStore.Connect(redis.ConnectionString);
        var options = Options(redis) with { BreakerThreshold = 2, BreakerCoolDownMilliseconds = 200, TimeoutMilliseconds = 2_000 };
        await using var writerTier = new RemoteKvTier(writerStore, options);
        await using var readerTier = new RemoteKvTier(readerStore, options);
        await using var writer = await CreateEngineAsync(writerTier);
        await using var reader = await CreateEngineAsync(readerTier);

        var before = await GenerateAsync(writer, Prompt, "before");
        redis.Stop();
        var during = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => GenerateAsync(reader, Prompt, $"during-{i}")));
        Assert.All(during, r => Assert.Equal(FinishReason.Length, r.FinishReason));
        Assert.All(during, r => Assert.Equal(0, r.CachedPromptTokens));
        Assert.True(readerTier.Stats.StoreErrors + readerTier.Stats.StoreTimeouts + readerTier.Stats.ShortCircuits > 0);

        await redis.StartAgainAsync(); // empty: no persistence
        // The stores reconnect on their own schedule: each attempt is a new tenant, so nothing is cached locally.
        var clock = Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            Assert.True(clock.Elapsed < _recoveryTimeout, $"no remote hit within {_recoveryTimeout} after Redis restarted; writer {writerTier.Stats}, reader {readerTier.Stats}");
            var salt = $"after-{attempt}";
            var written = writerTier.Stats.ValuesWritten;
            var computed = await GenerateAsync(writer, Prompt, salt);
            if (!await WaitForWritesAsync(writerTier, written))
            {
                continue;
            }

            var served = await GenerateAsync(reader, Prompt, salt);
            Assert.Equal(computed.TokenIds, served.TokenIds);
            if (served.CachedPromptTokens > 0)
            {
                Assert.Equal(before.PromptTokens, served.PromptTokens);
                break;
            }
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }

    private static RemoteKvOptions Options(RedisServer redis) => TestBlocks.Options(redis.ConnectionString);

    /// <summary>A replica's whole life: its own Redis connection, tier and engine; the tier is flushed before returning.</summary>
    private async Task<GenerationResult> RunReplicaAsync(RedisServer redis, string prompt, string? salt)
    {
        using var store = RedisKvStore.Connect(redis.ConnectionString);
        var tier = new RemoteKvTier(store, Options(redis));
        GenerationResult result;
        await using (var engine = await CreateEngineAsync(tier))
        {
            result = await GenerateAsync(engine, prompt, salt);
        }

        await tier.DisposeAsync();
        return result;
    }

    private Task<IGenerationEngine> CreateEngineAsync(RemoteKvTier tier) => EngineFactory.CreateAsync(
        new EngineOptions { CacheDirectory = _cache, SyntheticModel = "tiny", BlockSize = 4, KvCacheMiB = 8, MaxBatchTokens = 64, Threads = 2, Device = EngineDevices.Cpu },
        [new CpuBackend()],
        NullLoggerFactory.Instance,
        tier);

    private static Task<GenerationResult> GenerateAsync(IGenerationEngine engine, string prompt, string? salt) => engine.Submit(new GenerationRequest
    {
        RequestId = Guid.NewGuid().ToString("N"),
        Prompt = prompt,
        CacheSalt = salt,
        Sampling = new SamplingSettings { Seed = 11, MaxTokens = 8, Temperature = 0.7f, IgnoreEos = true },
    }).Completion;

    /// <summary>Waits (bounded) until the write-behind queue has stored more values; false when it dropped them instead.</summary>
    private static async Task<bool> WaitForWritesAsync(RemoteKvTier tier, long writtenBefore)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (tier.Stats.ValuesWritten > writtenBefore)
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }

        return false;
    }
}
