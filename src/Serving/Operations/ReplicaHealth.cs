using LlmQueue.Engine;
using LlmQueue.Serving.Hosting;
using LlmQueue.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LlmQueue.Serving.Operations;

/// <summary>What the orchestrator's probes ask of this replica: is it alive (restart it if not), is it ready (send it work).</summary>
public sealed class ReplicaHealth(WorkerState state, IWorkerTransport transport, IServiceProvider services, IOptions<OperationsOptions> options, TimeProvider time)
{
    private readonly Lock _lock = new();
    private long _lastSteps = -1;
    private DateTimeOffset _lastProgress;

    /// <summary>
    /// Live unless wedged: the transport is faulted (lost, and not coming back by itself), or requests are running and
    /// the engine has finished no step for Operations:EngineStallSeconds. Loading the model, reconnecting to the broker
    /// and draining are states a replica leaves by itself, so they are live, only not ready.
    /// </summary>
    public ProbeResult Liveness()
    {
        var health = transport.Health;
        if (health.State == TransportState.Faulted)
        {
            return new ProbeResult(false, $"not live: transport faulted since {health.Since:u} ({health.Reason ?? "no reason given"})");
        }

        var limit = TimeSpan.FromSeconds(options.Value.EngineStallSeconds);
        return limit > TimeSpan.Zero && EngineStall() is { } stall && stall.For >= limit
            ? new ProbeResult(false, $"not live: {stall.Running} requests running and no engine step finished for {stall.For.TotalSeconds:F0} s")
            : new ProbeResult(true, "live");
    }

    /// <summary>Ready when the model is loaded and its engine loop runs, the transport is receiving, and the replica is not draining.</summary>
    public ProbeResult Readiness()
    {
        var problems = new List<string>();
        if (!state.EngineRunning)
        {
            problems.Add("model loading");
        }

        if (state.Draining)
        {
            problems.Add("draining");
        }

        var health = transport.Health;
        if (health.State != TransportState.Receiving)
        {
            problems.Add($"transport {health.State.ToString().ToLowerInvariant()}{(health.Reason is null ? "" : $" ({health.Reason})")}");
        }

        return problems.Count == 0 ? new ProbeResult(true, "ready") : new ProbeResult(false, "not ready: " + string.Join("; ", problems));
    }

    /// <summary>How long the engine has made no progress with requests running, as seen across probes; null before it runs.</summary>
    private (int Running, TimeSpan For)? EngineStall()
    {
        // Only once loaded: asking for the engine earlier would load the model on the probe's thread.
        if (!state.EngineRunning)
        {
            return null;
        }

        var stats = services.GetRequiredService<IGenerationEngine>().GetStats();
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (stats.Steps != _lastSteps || stats.Running == 0)
            {
                _lastSteps = stats.Steps;
                _lastProgress = now;
            }

            return (stats.Running, now - _lastProgress);
        }
    }
}
