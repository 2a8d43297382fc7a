using System.Diagnostics.Metrics;
using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Engine.Runners;
using LlmQueue.Engine.Sampling;
using LlmQueue.Models.Weights;
using LlmQueue.TestKit;

namespace LlmQueue.Engine.Tests.KvCache.Remote;

/// <summary>Two engines (replicas) sharing one remote store: what A computed, B loads instead of recomputing.</summary>
public class RemotePrefixConnectorTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private const int BlockSize = 4;

    private static readonly string Prompt =
        "Paged attention stores keys and values in fixed-size blocks so that many requests share one pool, "
        + "and a prefix computed once can be served again to every replica that sees it.";

    [Fact]
    public async Task Replica_b_loads_the_prefix_replica_a_computed_and_generates_the_same_tokens()
    {
        var store = new FakeRemoteKvStore();
        var cold = await RunAsync(store, Prompt);
        Assert.Equal(0, cold.Result.CachedPromptTokens);
        Assert.True(cold.Stats.ValuesWritten > 0);

        var warm = await RunAsync(store, Prompt);

        // Every full block but the one holding the last prompt token comes from the store.
        Assert.Equal((cold.Result.PromptTokens - 1) / BlockSize * BlockSize, warm.Result.CachedPromptTokens);
        Assert.Equal(warm.Result.CachedPromptTokens, warm.RemoteTokens);
        Assert.Equal(cold.Result.TokenIds, warm.Result.TokenIds);
        Assert.True(warm.Stats.RemoteHits > 0);
    }

    [Fact]
    public async Task A_prefix_larger_than_one_lookup_call_is_fetched_in_consecutive_calls()
    {
        var store = new FakeRemoteKvStore();
        var cold = await RunAsync(store, Prompt);
        var callsBefore = store.GetCalls;

        // Room for about one block's value per call.
        var warm = await RunAsync(store, Prompt, maxLookupBytes: 3 * 1024);

        var blocks = (cold.Result.PromptTokens - 1) / BlockSize;
        Assert.Equal(blocks * BlockSize, warm.Result.CachedPromptTokens);
        Assert.Equal(cold.Result.TokenIds, warm.Result.TokenIds);
        Assert.Equal(blocks, store.GetCalls - callsBefore);
    }

    [Fact]
    public async Task Remote_loads_under_preemption_keep_outputs_exact()
    {
        var store = new FakeRemoteKvStore();
        var prompts = new[] { " first", " second", " third", " fourth" }.Select(s => Prompt + s).ToArray();
        var cold = new List<GenerationResult>();
        foreach (var prompt in prompts)
        {
            cold.Add((await RunAsync(store, prompt)).Result);
        }

        // Replica B runs them together in a pool too small for all: sequences preempted after a remote load come
        // back to a local hit or ask the tier again. Whether they overlap enough to preempt depends on thread
        // interleaving: every run must keep the outputs, and one must have preempted after remote loads.
        var longest = cold.Max(r => r.PromptTokens + r.CompletionTokens);
        var preemptedOnce = await Interleaved.AnyRunAsync(async () =>
        {
            var tier = NewTier(store);
            GenerationResult[] warm;
            EngineStats stats;
            await using (var engine = model.CreateEngine(blockSize: BlockSize, kvBlocks: (longest / BlockSize) + 4, remoteTier: tier, fingerprint: "tiny-test"))
            {
                warm = await Task.WhenAll(prompts.Select(p => engine.Submit(Request(p, salt: null)).Completion));
                stats = engine.GetStats();
            }

            await tier.DisposeAsync();
            Assert.Equal(cold.Select(r => r.TokenIds), warm.Select(r => r.TokenIds));
            Assert.True(stats.RemotePromptTokens > 0);
            return stats.Preemptions > 0;
        });
        Assert.True(preemptedOnce, $"{Interleaved.Runs} runs never preempted");
    }

    [Fact]
    public async Task Another_tenant_gets_no_remote_hit_and_the_same_tenant_does()
    {
        var store = new FakeRemoteKvStore();
        await RunAsync(store, Prompt, salt: "tenant-a");

        var other = await RunAsync(store, Prompt, salt: "tenant-b");
        var same = await RunAsync(store, Prompt, salt: "tenant-a");

        Assert.Equal(0, other.Result.CachedPromptTokens);
        Assert.True(same.Result.CachedPromptTokens > 0);
        Assert.Equal(other.Result.TokenIds, same.Result.TokenIds);
    }

    [Fact]
    public async Task Tampered_or_truncated_values_and_another_models_values_are_misses_and_outputs_stay_exact()
    {
        var store = new FakeRemoteKvStore();
        var cold = await RunAsync(store, Prompt);
        var keys = store.Values.Keys.Order(StringComparer.Ordinal).ToArray();
        for (var i = 0; i < keys.Length; i++)
        {
            var value = store.Values[keys[i]];
            store.Values[keys[i]] = i % 2 == 0 ? FlipLastPayloadByte(value) : value[..(value.Length / 2)];
        }

        var tampered = await RunAsync(store, Prompt);
        Assert.Equal(0, tampered.Result.CachedPromptTokens);
        Assert.Equal(cold.Result.TokenIds, tampered.Result.TokenIds);
        Assert.True(tampered.Stats.VerificationFailures.Values.Sum() > 0);

        // Another model's values: even when copied under this model's key names they fail verification.
        var foreign = new FakeRemoteKvStore();
        await RunAsync(foreign, Prompt, fingerprint: "another-model");
        var ownKeys = new FakeRemoteKvStore();
        await RunAsync(ownKeys, Prompt);
        var ownNames = ownKeys.Values.Keys.Order(StringComparer.Ordinal).ToArray();
        var foreignValues = foreign.Values.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToArray();
        Assert.Equal(ownNames.Length, foreignValues.Length);
        var renamed = new FakeRemoteKvStore();
        for (var i = 0; i < ownNames.Length; i++)
        {
            renamed.Values[ownNames[i]] = foreignValues[i];
        }

        var fromForeign = await RunAsync(foreign, Prompt);
        var fromRenamed = await RunAsync(renamed, Prompt);
        Assert.Equal(0, fromForeign.Result.CachedPromptTokens);
        Assert.Equal(0, fromRenamed.Result.CachedPromptTokens);
        Assert.Equal(cold.Result.TokenIds, fromRenamed.Result.TokenIds);
    }

    [Fact]
    public async Task Pages_written_by_a_runner_with_another_page_format_are_counted_misses_and_never_loaded()
    {
        // A GPU replica (bf16 pages) and a CPU replica (f32) sharing one Redis: same model, same keys, other bytes.
        var store = new FakeRemoteKvStore();
        var cold = await RunAsync(store, Prompt, format: new KvPageFormat(TensorDType.BF16, FakeRunner.FakeLayout));
        Assert.True(cold.Stats.ValuesWritten > 0);

        var other = await RunAsync(store, Prompt);

        Assert.Equal(0, other.Result.CachedPromptTokens);
        Assert.Equal(cold.Result.TokenIds, other.Result.TokenIds);
        Assert.True(other.Stats.VerificationFailures[KvBlockVerdict.ForeignFormat] > 0);
        Assert.Equal(0, other.Stats.RemoteHits);
    }

    [Fact]
    public async Task A_failing_store_never_fails_a_request()
    {
        var store = new FakeRemoteKvStore { Fault = new IOException("connection reset") };
        var cold = await RunAsync(new FakeRemoteKvStore(), Prompt);

        var broken = await RunAsync(store, Prompt);

        Assert.Equal(FinishReason.Length, broken.Result.FinishReason);
        Assert.Equal(cold.Result.TokenIds, broken.Result.TokenIds);
        Assert.True(broken.Stats.StoreErrors > 0);
    }

    /// <summary>One replica's life: a fresh engine and tier over <paramref name="store"/>, one request, then the tier flushed.</summary>
    private async Task<(GenerationResult Result, RemoteKvStats Stats, long RemoteTokens)> RunAsync(
        FakeRemoteKvStore store, string prompt, string? salt = null, string? fingerprint = "tiny-test", int maxLookupBytes = 1 << 20, KvPageFormat? format = null)
    {
        var tier = NewTier(store, maxLookupBytes);
        GenerationResult result;
        long remoteTokens;
        var runner = new FakeRunner(model.Model.Config, BlockSize, 256) { KvPageFormat = format ?? new KvPageFormat(TensorDType.F32, FakeRunner.FakeLayout) };
        await using (var engine = model.CreateEngine(blockSize: BlockSize, remoteTier: tier, fingerprint: fingerprint, runner: runner))
        {
            result = await engine.Submit(Request(prompt, salt)).Completion;
            remoteTokens = engine.GetStats().RemotePromptTokens;
            Assert.Equal(
                (result.CachedPromptTokens - remoteTokens, remoteTokens),
                (CachedTokensMetric(engine, "local"), CachedTokensMetric(engine, "remote")));
        }

        await tier.DisposeAsync(); // flushes the write-behind queue
        return (result, tier.Stats, remoteTokens);
    }

    /// <summary>The engine's "llmq.engine.cached_prompt_tokens" counter for one source, read through a MeterListener.</summary>
    private static long CachedTokensMetric(GenerationEngine engine, string source)
    {
        long value = -1;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, engine) && instrument.Name == "llmq.engine.cached_prompt_tokens")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, measurement, tags, _) =>
        {
            if (tags.ToArray().Contains(new KeyValuePair<string, object?>("source", source)))
            {
                value = measurement;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return value;
    }

    private static RemoteKvTier NewTier(FakeRemoteKvStore store, int maxLookupBytes = 1 << 20) =>
        new(store, new RemoteKvOptions { ConnectionString = "fake", Secret = "a-test-secret-of-some-length", BreakerThreshold = 1000, MaxLookupBytes = maxLookupBytes });

    private static GenerationRequest Request(string prompt, string? salt) => new()
    {
        RequestId = Guid.NewGuid().ToString("N"),
        Prompt = prompt,
        CacheSalt = salt,
        Sampling = new SamplingSettings { Seed = 7, MaxTokens = 12, Temperature = 0.8f, IgnoreEos = true },
    };

    private static byte[] FlipLastPayloadByte(byte[] value)
    {
        var copy = value.ToArray();
        copy[^33] ^= 0x40; // the 32-byte MAC ends the value; this byte is payload
        return copy;
    }
}
