using System.Diagnostics;
using System.Globalization;
using LlmQueue.Engine;
using LlmQueue.Engine.Cpu;
using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Engine.Sampling;
using LlmQueue.Models;
using LlmQueue.Models.Synthetic;
using LlmQueue.Serving.Redis;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmQueue.Bench;

/// <summary>
/// The Redis prefix tier between two replicas (two engines in this process, each with its own Redis connection):
/// TTFT on replica B for a prompt whose long prefix replica A computed, against a cold prefill on B; the bytes
/// moved and what they would have been without the sliding-window rule; the throughput the lookups reached;
/// and the write-behind's cost on decode throughput.
/// </summary>
internal static class RemotePrefixBenchmark
{
    private const int SuffixLength = 16;
    private const string Secret = "bench-secret-0123456789";

    public static async Task RunAsync(bool smoke, string redis, string model, TextWriter output)
    {
        var prefixLength = smoke ? 64 : 2000;
        var repeats = smoke ? 1 : 5;
        var options = new EngineOptions { SyntheticModel = model, KvCacheMiB = smoke ? 64 : 1024, MaxBatchTokens = 512 };
        var config = ModelConfigReader.Read(Path.Combine(
            SyntheticModel.EnsureWritten(options.CacheDirectory, SyntheticModelSpec.Preset(model), model), ModelConfigReader.FileName));
        var layout = CpuModelRunner.KvLayoutFor(config, options.BlockSize);
        var tierOptions = new RemoteKvOptions { ConnectionString = redis, Secret = Secret, TimeoutMilliseconds = 30_000, WriteQueueCapacity = 4096 };

        using var storeA = RedisKvStore.Connect(redis);
        using var storeB = RedisKvStore.Connect(redis);
        await using var tierA = new RemoteKvTier(storeA, tierOptions);
        await using var tierB = new RemoteKvTier(storeB, tierOptions);
        await using var replicaA = await EngineFactory.CreateAsync(options, [new CpuBackend()], NullLoggerFactory.Instance, tierA);
        await using var replicaB = await EngineFactory.CreateAsync(options, [new CpuBackend()], NullLoggerFactory.Instance, tierB);

        var random = new Random(42);
        // Salts unique to this run: the Redis may still hold an earlier run's blocks of the same random prompts.
        var run = Guid.NewGuid().ToString("N");
        var cold = new List<double>();
        var warm = new List<double>();
        var bytesRead = new List<long>();
        var lookupMs = new List<double>();
        var cached = 0;
        for (var r = -1; r < repeats; r++)
        {
            // A fresh prefix each round; round -1 warms the JIT. B's cold run uses a salt of its own, so neither
            // its local cache nor the tier can serve the prefix A computes next.
            var prefix = Tokens(random, prefixLength, replicaA.Model.VocabSize);
            var coldRun = await GenerateAsync(replicaB, [.. prefix, .. Tokens(random, SuffixLength, replicaA.Model.VocabSize)], salt: $"cold-{run}-{r}");
            var written = Written(tierA);
            await GenerateAsync(replicaA, [.. prefix, .. Tokens(random, SuffixLength, replicaA.Model.VocabSize)], salt: run);
            await WaitForWritesAsync(tierA, written + (prefixLength / layout.BlockTokens * layout.TypeCount));
            var (readBefore, msBefore) = (tierB.Stats.BytesRead, replicaB.GetStats().RemoteLookupMs);
            var warmRun = await GenerateAsync(replicaB, [.. prefix, .. Tokens(random, SuffixLength, replicaA.Model.VocabSize)], salt: run);
            if (r >= 0)
            {
                cold.Add(coldRun.TtftMs);
                warm.Add(warmRun.TtftMs);
                bytesRead.Add(tierB.Stats.BytesRead - readBefore);
                lookupMs.Add(replicaB.GetStats().RemoteLookupMs - msBefore);
                cached = warmRun.CachedPromptTokens;
            }
        }

        var hitBlocks = cached / layout.BlockTokens;
        var everyBlockBytes = hitBlocks * Enumerable.Range(0, layout.TypeCount).Sum(t => layout.SmallPageBytes(t));
        var read = Stats.Median(bytesRead.Select(b => (double)b).ToList());
        output.WriteLine($"model {model} (KV layer types: {string.Join(", ", layout.Types.Select(t => $"{t.Name} x{t.LayerCount}"))}), "
            + $"prompt = {prefixLength}-token prefix computed by replica A + {SuffixLength}-token suffix, median of {repeats}");
        output.WriteLine("| cold TTFT on B ms | TTFT on B, prefix from A via Redis ms | ratio | cached tokens | bytes read | bytes if every type fetched every block | lookup ms | lookup MB/s |");
        output.WriteLine("|---|---|---|---|---|---|---|---|");
        output.WriteLine($"| {Stats.Median(cold):F1} | {Stats.Median(warm):F1} | {100 * Stats.Median(warm) / Stats.Median(cold):F1}% | {cached} | "
            + $"{read / 1e6:F1} MB | {everyBlockBytes / 1e6:F1} MB | {Stats.Median(lookupMs):F1} | {read / 1e6 / (Stats.Median(lookupMs) / 1e3):F0} |");

        await DecodeOverheadAsync(smoke, redis, options, tierOptions, output);
    }

    /// <summary>
    /// Decode tokens/s of concurrent requests with no tier, with the tier writing every finished block to Redis, and
    /// with the tier writing to a store that discards (the worker's own cost: page copies, HMAC, encoding), in
    /// alternating runs. Here redis-server shares the 2 cores with the engine; in deployment it is another machine.
    /// </summary>
    private static async Task DecodeOverheadAsync(bool smoke, string redis, EngineOptions options, RemoteKvOptions tierOptions, TextWriter output)
    {
        var requests = smoke ? 2 : 8;
        var maxTokens = smoke ? 8 : 256;
        var rounds = smoke ? 1 : 7;
        var random = new Random(7);
        string[] setups = ["no tier", "tier -> Redis", "tier -> discarding store"];
        var tokensPerSecond = setups.ToDictionary(s => s, _ => new List<double>());
        long written = 0, dropped = 0;
        for (var round = -1; round < rounds; round++)
        {
            foreach (var setup in setups)
            {
                using var redisStore = RedisKvStore.Connect(redis);
                var tier = new RemoteKvTier(setup == setups[2] ? new DiscardingStore() : redisStore, tierOptions);
                double rate;
                await using (var engine = await EngineFactory.CreateAsync(options, [new CpuBackend()], NullLoggerFactory.Instance, setup == setups[0] ? null : tier))
                {
                    var prompts = Enumerable.Range(0, requests).Select(_ => Tokens(random, 64, engine.Model.VocabSize)).ToArray();
                    var clock = Stopwatch.StartNew();
                    var results = await Task.WhenAll(prompts.Select(p => engine.Submit(Request(p, $"decode-{Guid.NewGuid():N}", maxTokens)).Completion));
                    rate = results.Sum(r => r.CompletionTokens) / clock.Elapsed.TotalSeconds;
                }

                await tier.DisposeAsync();
                if (round >= 0)
                {
                    tokensPerSecond[setup].Add(rate);
                    written += setup == setups[1] ? tier.Stats.ValuesWritten : 0;
                    dropped += setup == setups[1] ? tier.Stats.WriteDrops.Values.Sum() : 0;
                }
            }
        }

        var baseline = Stats.Median(tokensPerSecond[setups[0]]);
        output.WriteLine($"write-behind on decode: {requests} concurrent requests x {maxTokens} tokens (64-token prompts), median of {rounds} alternating runs");
        output.WriteLine("| setup | decode tok/s | overhead vs no tier | runs |");
        output.WriteLine("|---|---|---|---|");
        foreach (var setup in setups)
        {
            var median = Stats.Median(tokensPerSecond[setup]);
            output.WriteLine($"| {setup} | {median:F1} | {100 * (1 - (median / baseline)):F1}% | {string.Join(", ", tokensPerSecond[setup].Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))} |");
        }

        output.WriteLine($"values written to Redis {written}, dropped {dropped}");
    }

    /// <summary>Accepts every write and forgets it; finds nothing.</summary>
    private sealed class DiscardingStore : IRemoteKvStore
    {
        public Task<byte[]?[]> GetManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) => Task.FromResult(new byte[]?[keys.Count]);

        public Task<bool> SetIfAbsentAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken) => Task.FromResult(true);
    }

    private static long Written(RemoteKvTier tier) =>
        tier.Stats.ValuesWritten + tier.Stats.ValuesAlreadyPresent + tier.Stats.WriteDrops.Values.Sum();

    /// <summary>Waits until the write-behind queue settled <paramref name="expected"/> values (written, present or dropped).</summary>
    private static async Task WaitForWritesAsync(RemoteKvTier tier, long expected)
    {
        var clock = Stopwatch.StartNew();
        while (Written(tier) < expected && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(10);
        }
    }

    private static int[] Tokens(Random random, int count, int vocab) =>
        Enumerable.Range(0, count).Select(_ => random.Next(vocab)).ToArray();

    private static Task<GenerationResult> GenerateAsync(IGenerationEngine engine, int[] prompt, string? salt) =>
        engine.Submit(Request(prompt, salt, maxTokens: 1)).Completion;

    private static GenerationRequest Request(int[] prompt, string? salt, int maxTokens) => new()
    {
        RequestId = Guid.NewGuid().ToString("N"),
        PromptTokenIds = prompt,
        CacheSalt = salt,
        Sampling = new SamplingSettings { MaxTokens = maxTokens, Temperature = 0, IgnoreEos = true },
    };
}
