using System.Diagnostics.Metrics;
using System.Text;
using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Engine.Runners;
using LlmQueue.Models.Weights;
using LlmQueue.TestKit;

namespace LlmQueue.Engine.Tests.KvCache.Remote;

public class RemoteKvTierTests
{
    private const string Secret = "test-deployment-secret";
    private static readonly KvBlockHeader _header = new(new KvPageFormat(TensorDType.F32, KvPageFormat.HeadMajorLayout), LayerCount: 2, KvHeads: 1, HeadDim: 4, BlockTokens: 4, TokenCount: 4, PayloadLength: 2 * 4 * 2 * 4 * 4);
    private static readonly RemoteKvOptions _options = new() { Secret = Secret, TimeoutMilliseconds = 60_000, TtlSeconds = 120 };
    private readonly KvBlockCodec _codec = new(Encoding.UTF8.GetBytes(Secret));
    private readonly FakeRemoteKvStore _store = new();
    private readonly ManualTimeProvider _clock = new();

    [Fact]
    public async Task Lookup_returns_verified_payloads_and_misses_in_key_order_from_one_store_call()
    {
        var first = Put("k0", seed: 1);
        var third = Put("k2", seed: 3);
        await using var tier = Tier();

        var found = await tier.LookupAsync(["k0", "k1", "k2"], _header);

        Assert.Equal(first, found[0]!.Value.ToArray());
        Assert.Null(found[1]);
        Assert.Equal(third, found[2]!.Value.ToArray());
        Assert.Equal(1, _store.GetCalls);
        var stats = tier.Stats;
        Assert.Equal((2, 1, 2L * KvBlockCodec.ValueLength(_header)), (stats.RemoteHits, stats.Misses, stats.BytesRead));
    }

    [Fact]
    public async Task Unverifiable_values_are_misses_counted_by_kind()
    {
        var valid = _codec.Encode("k0", _header, KvBlockCodecTests.Payload(_header));
        var tampered = (byte[])valid.Clone();
        tampered[KvBlockCodec.HeaderBytes] ^= 1;
        _store.Values["k0"] = tampered;
        _store.Values["k1"] = valid[..^1];
        _store.Values["k2"] = valid; // a value copied from key k0
        _store.Values["k3"] = [.. "NOPE"u8, 1, 0, 0, 0];
        var otherShape = _header with { KvHeads = 2, HeadDim = 2 };
        _store.Values["k4"] = _codec.Encode("k4", otherShape, KvBlockCodecTests.Payload(otherShape));
        await using var tier = Tier();

        var found = await tier.LookupAsync(["k0", "k1", "k2", "k3", "k4"], _header);

        Assert.All(found, Assert.Null);
        var stats = tier.Stats;
        Assert.Equal((0, 5), (stats.RemoteHits, stats.Misses));
        Assert.Equal(2, stats.VerificationFailures[KvBlockVerdict.Tampered]);
        Assert.Equal(1, stats.VerificationFailures[KvBlockVerdict.Truncated]);
        Assert.Equal(1, stats.VerificationFailures[KvBlockVerdict.ForeignVersion]);
        Assert.Equal(1, stats.VerificationFailures[KvBlockVerdict.WrongShape]);
    }

    [Fact]
    public async Task A_failing_store_gives_misses_not_exceptions()
    {
        Put("k0", seed: 1);
        _store.Fault = new IOException("connection reset");
        await using var tier = Tier();

        var found = await tier.LookupAsync(["k0", "k1"], _header);

        Assert.Equal([null, null], found);
        Assert.Equal((1, 2), (tier.Stats.StoreErrors, tier.Stats.Misses));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_hung_store_times_out_into_misses()
    {
        Put("k0", seed: 1);
        _store.Gate = new TaskCompletionSource(); // never opened
        await using var tier = Tier(_options with { TimeoutMilliseconds = 50 });

        var found = await tier.LookupAsync(["k0"], _header);

        Assert.Null(found[0]);
        Assert.Equal((1, 0, 1), (tier.Stats.StoreTimeouts, tier.Stats.StoreErrors, tier.Stats.Misses));
    }

    [Fact]
    public async Task Cancelling_a_lookup_gives_misses_without_counting_a_store_fault()
    {
        _store.Gate = new TaskCompletionSource();
        await using var tier = Tier(_options with { BreakerThreshold = 1 });
        using var cancellation = new CancellationTokenSource();
        var lookup = tier.LookupAsync(["k0"], _header, cancellation.Token);

        await cancellation.CancelAsync();

        Assert.Equal([null], await lookup);
        Assert.Equal((0, 0, CircuitState.Closed), (tier.Stats.StoreErrors, tier.Stats.StoreTimeouts, tier.Stats.BreakerState));
    }

    [Fact]
    public async Task Breaker_opens_after_consecutive_faults_stops_calling_the_store_and_closes_after_a_good_probe()
    {
        var payload = Put("k0", seed: 1);
        _store.Fault = new IOException("down");
        await using var tier = Tier(_options with { BreakerThreshold = 2, BreakerCoolDownMilliseconds = 10_000 });

        await tier.LookupAsync(["k0"], _header);
        await tier.LookupAsync(["k0"], _header);
        Assert.Equal((CircuitState.Open, 1), (tier.Stats.BreakerState, tier.Stats.BreakerOpens));

        await tier.LookupAsync(["k0"], _header);
        Assert.Equal((2, 1), (_store.GetCalls, tier.Stats.ShortCircuits));

        _store.Fault = null;
        _clock.Advance(TimeSpan.FromSeconds(10));
        var found = await tier.LookupAsync(["k0"], _header);

        Assert.Equal(payload, found[0]!.Value.ToArray());
        Assert.Equal((3, CircuitState.Closed), (_store.GetCalls, tier.Stats.BreakerState));
    }

    [Fact(Timeout = 30_000)]
    public async Task Write_behind_drops_when_the_store_is_slow_without_blocking_the_caller()
    {
        _store.Gate = new TaskCompletionSource();
        var tier = Tier(_options with { WriteQueueCapacity = 2 });
        Assert.True(tier.TryWrite("k0", _header, KvBlockCodecTests.Payload(_header)));
        await _store.WritesEntered.WaitAsync(); // the drain holds k0 at the store's gate

        var accepted = Enumerable.Range(1, 4).Select(i => tier.TryWrite($"k{i}", _header, KvBlockCodecTests.Payload(_header, i))).ToArray();

        Assert.Equal([true, true, false, false], accepted);
        Assert.Equal(2, tier.Stats.WriteDrops[RemoteKvWriteDrop.QueueFull]);
        _store.Gate.SetResult();
        await tier.DisposeAsync(); // flushes
        Assert.Equal(["k0", "k1", "k2"], _store.Values.Keys.Order());
        Assert.Equal(KvBlockVerdict.Ok, _codec.Decode("k2", _store.Values["k2"], _header).Verdict);
        Assert.Equal((3, 3L * KvBlockCodec.ValueLength(_header)), (tier.Stats.ValuesWritten, tier.Stats.BytesWritten));
        Assert.Equal(TimeSpan.FromSeconds(120), _store.LastTtl);
    }

    [Fact]
    public async Task A_block_already_stored_is_counted_not_overwritten()
    {
        var first = _codec.Encode("k0", _header, KvBlockCodecTests.Payload(_header, 1));
        _store.Values["k0"] = first;
        var tier = Tier();

        Assert.True(tier.TryWrite("k0", _header, KvBlockCodecTests.Payload(_header, 2)));
        await tier.DisposeAsync();

        Assert.Same(first, _store.Values["k0"]);
        Assert.Equal((0, 1), (tier.Stats.ValuesWritten, tier.Stats.ValuesAlreadyPresent));
    }

    [Fact]
    public async Task Values_over_the_size_limit_are_not_written()
    {
        var tier = Tier(_options with { MaxValueBytes = KvBlockCodec.ValueLength(_header) - 1 });

        Assert.False(tier.TryWrite("k0", _header, KvBlockCodecTests.Payload(_header)));
        await tier.DisposeAsync();

        Assert.Empty(_store.Values);
        Assert.Equal(1, tier.Stats.WriteDrops[RemoteKvWriteDrop.Oversize]);
    }

    [Fact]
    public async Task Failed_writes_and_writes_behind_an_open_breaker_are_dropped()
    {
        _store.Fault = new IOException("OOM command not allowed");
        var tier = Tier(_options with { BreakerThreshold = 1 });

        tier.TryWrite("k0", _header, KvBlockCodecTests.Payload(_header));
        tier.TryWrite("k1", _header, KvBlockCodecTests.Payload(_header));
        await tier.DisposeAsync();

        var drops = tier.Stats.WriteDrops;
        Assert.Equal((1, 1, 0), (drops[RemoteKvWriteDrop.Fault], drops[RemoteKvWriteDrop.BreakerOpen], drops[RemoteKvWriteDrop.QueueFull]));
    }

    [Fact]
    public async Task Counters_are_published_as_instruments_of_the_remote_kv_meter()
    {
        Put("k0", seed: 1);
        var measured = new Dictionary<string, long>();
        await using var tier = Tier();
        using var listener = new MeterListener();
        // Other tests' tiers publish on the same meter name in parallel: listen to this tier's meter only.
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RemoteKvTier.MeterName && ReferenceEquals(instrument.Meter.Scope, tier))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            lock (measured)
            {
                measured[instrument.Name] = measured.GetValueOrDefault(instrument.Name) + value;
            }
        });
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            lock (measured)
            {
                measured[instrument.Name] = value;
            }
        });
        listener.Start();

        await tier.LookupAsync(["k0", "k1"], _header);
        listener.RecordObservableInstruments();

        Assert.Equal(1, measured["llmq.remote_kv.hits"]);
        Assert.Equal(1, measured["llmq.remote_kv.misses"]);
        Assert.Equal(KvBlockCodec.ValueLength(_header), measured["llmq.remote_kv.bytes_read"]);
        Assert.Equal((int)CircuitState.Closed, measured["llmq.remote_kv.breaker_state"]);
    }

    private RemoteKvTier Tier(RemoteKvOptions? options = null) => new(_store, options ?? _options, _clock);

    private byte[] Put(string key, int seed)
    {
        var payload = KvBlockCodecTests.Payload(_header, seed);
        _store.Values[key] = _codec.Encode(key, _header, payload);
        return payload;
    }
}
