using System.Diagnostics.Metrics;

namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>The remote tier's instruments (meter <see cref="MeterName"/>) and their totals for <see cref="RemoteKvStats"/>.</summary>
internal sealed class RemoteKvMetrics : IDisposable
{
    public const string MeterName = "LlmQueue.RemoteKv";

    private readonly Meter _meter;
    private readonly CircuitBreaker _breaker;

    /// <param name="scope">The tier: the meter's scope, so listeners can tell tiers in one process apart.</param>
    public RemoteKvMetrics(CircuitBreaker breaker, object scope)
    {
        _meter = new Meter(new MeterOptions(MeterName) { Scope = scope });
        _breaker = breaker;
        Hits = Tally("hits", "{block}", "Blocks found in the remote tier and verified.");
        Misses = Tally("misses", "{block}", "Blocks looked up and not usable: absent, unverified, or the lookup failed.");
        BytesRead = Tally("bytes_read", "By", "Value bytes received from the store.");
        var writes = _meter.CreateCounter<long>("llmq.remote_kv.writes", "{value}", "Values sent to the store, by outcome (SET NX).");
        ValuesWritten = new MetricTally(writes, Tag("outcome", "stored"));
        ValuesAlreadyPresent = new MetricTally(writes, Tag("outcome", "present"));
        BytesWritten = Tally("bytes_written", "By", "Value bytes stored (values another replica stored first not included).");
        var failures = _meter.CreateCounter<long>("llmq.remote_kv.verification_failures", "{value}", "Values rejected by the codec, by kind.");
        VerificationFailures = Enum.GetValues<KvBlockVerdict>().Where(v => v != KvBlockVerdict.Ok)
            .ToDictionary(v => v, v => new MetricTally(failures, Tag("kind", v.ToString())));
        var drops = _meter.CreateCounter<long>("llmq.remote_kv.write_drops", "{block}", "Blocks offered for writing and not written, by reason.");
        WriteDrops = Enum.GetValues<RemoteKvWriteDrop>().ToDictionary(r => r, r => new MetricTally(drops, Tag("reason", r.ToString())));
        var faults = _meter.CreateCounter<long>("llmq.remote_kv.store_faults", "{call}", "Store calls that failed, by kind.");
        StoreErrors = new MetricTally(faults, Tag("kind", "error"));
        StoreTimeouts = new MetricTally(faults, Tag("kind", "timeout"));
        ShortCircuits = Tally("short_circuits", "{call}", "Store calls skipped because the circuit breaker was open.");
        BreakerOpens = Tally("breaker_opens", "{event}", "Times the circuit breaker opened.");
        _meter.CreateObservableGauge("llmq.remote_kv.breaker_state", () => (int)_breaker.State, description: "0 closed, 1 open, 2 half-open.");
    }

    public MetricTally Hits { get; }

    public MetricTally Misses { get; }

    public MetricTally BytesRead { get; }

    public MetricTally ValuesWritten { get; }

    public MetricTally ValuesAlreadyPresent { get; }

    public MetricTally BytesWritten { get; }

    public IReadOnlyDictionary<KvBlockVerdict, MetricTally> VerificationFailures { get; }

    public IReadOnlyDictionary<RemoteKvWriteDrop, MetricTally> WriteDrops { get; }

    public MetricTally StoreErrors { get; }

    public MetricTally StoreTimeouts { get; }

    public MetricTally ShortCircuits { get; }

    public MetricTally BreakerOpens { get; }

    public RemoteKvStats Snapshot() => new(
        Hits.Total,
        Misses.Total,
        BytesRead.Total,
        ValuesWritten.Total,
        ValuesAlreadyPresent.Total,
        BytesWritten.Total,
        VerificationFailures.ToDictionary(p => p.Key, p => p.Value.Total),
        WriteDrops.ToDictionary(p => p.Key, p => p.Value.Total),
        StoreErrors.Total,
        StoreTimeouts.Total,
        ShortCircuits.Total,
        BreakerOpens.Total,
        _breaker.State);

    public void Dispose() => _meter.Dispose();

    private static KeyValuePair<string, object?> Tag(string name, string value) => new(name, value);

    private MetricTally Tally(string name, string unit, string description) =>
        new(_meter.CreateCounter<long>($"llmq.remote_kv.{name}", unit, description));
}
