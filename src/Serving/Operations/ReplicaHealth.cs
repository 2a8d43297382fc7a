using LlmQueue.Serving.Hosting;
using LlmQueue.Transport;

namespace LlmQueue.Serving.Operations;

/// <summary>What the orchestrator's probes ask of this replica: is it alive (restart it if not), is it ready (send it work).</summary>
public sealed class ReplicaHealth(WorkerState state, IWorkerTransport transport)
{
    /// <summary>
    /// Live unless wedged: the transport is faulted (lost, and not coming back by itself). Loading the model,
    /// reconnecting to the broker and draining are states a replica leaves by itself, so they are live, only not ready.
    /// </summary>
    public ProbeResult Liveness()
    {
        var health = transport.Health;
        return health.State == TransportState.Faulted
            ? new ProbeResult(false, $"not live: transport faulted since {health.Since:u} ({health.Reason ?? "no reason given"})")
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
}
