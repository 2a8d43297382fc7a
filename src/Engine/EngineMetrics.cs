using System.Diagnostics.Metrics;

namespace LlmQueue.Engine;

/// <summary>
/// The engine's counters as System.Diagnostics.Metrics instruments (meter <see cref="MeterName"/>), observed from the
/// stats snapshot the engine publishes after every step, so collecting them never touches the engine thread.
/// Prompt tokens served from cache are split by where the KV came from (local prefix cache or the remote tier).
/// </summary>
internal sealed class EngineMetrics : IDisposable
{
    public const string MeterName = "LlmQueue.Engine";

    private readonly Meter _meter;

    /// <param name="scope">The engine: the meter's scope, so listeners can tell engines in one process apart.</param>
    public EngineMetrics(Func<EngineStats> stats, object scope)
    {
        _meter = new Meter(new MeterOptions(MeterName) { Scope = scope });
        _meter.CreateObservableCounter("llmq.engine.prompt_tokens", () => stats().PromptTokens, "{token}", "Prompt tokens of admitted requests.");
        _meter.CreateObservableCounter(
            "llmq.engine.cached_prompt_tokens",
            () =>
            {
                var snapshot = stats();
                return new[]
                {
                    new Measurement<long>(snapshot.CachedPromptTokens - snapshot.RemotePromptTokens, new KeyValuePair<string, object?>("source", "local")),
                    new Measurement<long>(snapshot.RemotePromptTokens, new KeyValuePair<string, object?>("source", "remote")),
                };
            },
            "{token}",
            "Prompt tokens whose KV was reused instead of computed, by source (finished requests).");
        _meter.CreateObservableCounter("llmq.engine.generated_tokens", () => stats().GeneratedTokens, "{token}", "Tokens sampled.");
        _meter.CreateObservableCounter("llmq.engine.preemptions", () => stats().Preemptions, "{sequence}", "Sequences preempted when KV pages ran out.");
        _meter.CreateObservableGauge("llmq.engine.running", () => stats().Running, "{request}", "Requests in the running batch.");
        _meter.CreateObservableGauge("llmq.engine.waiting", () => stats().Waiting, "{request}", "Requests waiting for admission.");
        _meter.CreateObservableGauge("llmq.engine.kv_reclaimable_bytes", () => stats().ReclaimableKvBytes, "By", "KV pool bytes free or held only by evictable cached blocks.");
        _meter.CreateObservableGauge("llmq.engine.kv_capacity_bytes", () => stats().KvCapacityBytes, "By", "KV pool bytes.");
    }

    public void Dispose() => _meter.Dispose();
}
