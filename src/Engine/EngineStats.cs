namespace LlmQueue.Engine;

/// <summary>Counters since start; the demo and metrics read them.</summary>
public sealed record EngineStats
{
    public long Steps { get; init; }

    /// <summary>Sequences per step, averaged over steps.</summary>
    public double MeanBatchSize { get; init; }

    public int MaxBatchSize { get; init; }

    public long PromptTokens { get; init; }

    /// <summary>Prompt tokens served from cached KV (local prefix cache and remote tier) instead of computed.</summary>
    public long CachedPromptTokens { get; init; }

    /// <summary>Of those, tokens whose KV was loaded from the remote tier.</summary>
    public long RemotePromptTokens { get; init; }

    /// <summary>Wall time spent in remote prefix lookups (in the background, not on the engine thread).</summary>
    public double RemoteLookupMs { get; init; }

    public long GeneratedTokens { get; init; }

    public int Running { get; init; }

    /// <summary>Sequences preempted (pages freed, recomputed later) because KV pages ran out.</summary>
    public long Preemptions { get; init; }

    public int Waiting { get; init; }

    /// <summary>KV bytes free or held only by evictable cached blocks: what new work can claim.</summary>
    public long ReclaimableKvBytes { get; init; }

    public long KvCapacityBytes { get; init; }
}
