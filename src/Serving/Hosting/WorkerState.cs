namespace LlmQueue.Serving.Hosting;

/// <summary>What readiness depends on besides the transport: the engine is loaded and running, the replica is not draining.</summary>
public sealed class WorkerState
{
    private volatile bool _engineRunning;
    private volatile bool _draining;

    public bool EngineRunning => _engineRunning;

    public bool Draining => _draining;

    public void MarkEngineRunning() => _engineRunning = true;

    public void MarkDraining() => _draining = true;
}
