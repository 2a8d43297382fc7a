namespace LlmQueue.Engine;

/// <summary>Engine configuration (section "Engine" in the worker's settings).</summary>
public sealed class EngineOptions
{
    /// <summary>Hugging Face model folder. Empty: a synthetic model is generated (see SyntheticModel).</summary>
    public string? ModelPath { get; set; }

    /// <summary>Name of the synthetic preset used when ModelPath is empty: "tiny" or "small-100m".</summary>
    public string SyntheticModel { get; set; } = "tiny";

    /// <summary>Folder where generated synthetic checkpoints are cached between runs.</summary>
    public string CacheDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "llmq-models");

    /// <summary>Tokens per KV block.</summary>
    public int BlockSize { get; set; } = 16;

    /// <summary>KV memory budget in MiB; the number of blocks follows from the model's shape.</summary>
    public int KvCacheMiB { get; set; } = 256;

    /// <summary>Per-step token budget (decode tokens + prefill chunk tokens).</summary>
    public int MaxBatchTokens { get; set; } = 512;

    /// <summary>Most requests running at once.</summary>
    public int MaxRunningRequests { get; set; } = 32;

    /// <summary>Compute threads; 0 = all cores.</summary>
    public int Threads { get; set; }
}
