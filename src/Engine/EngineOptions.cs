namespace LlmQueue.Engine;

/// <summary>Engine configuration (section "Engine" in the worker's settings).</summary>
public sealed class EngineOptions
{
    /// <summary>
    /// A Hugging Face model folder, or a Hub model id ("org/name") downloaded into CacheDirectory.
    /// Empty: a synthetic model is generated (see SyntheticModel).
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>Hub revision (branch, tag or commit) when ModelPath is a Hub id.</summary>
    public string Revision { get; set; } = "main";

    /// <summary>Hub endpoint; empty: HF_ENDPOINT, else https://huggingface.co. The token comes from HF_TOKEN.</summary>
    public string? HubEndpoint { get; set; }

    /// <summary>Never contact the Hub: use the last snapshot in the cache.</summary>
    public bool Offline { get; set; }

    /// <summary>Name of the synthetic preset used when ModelPath is empty (see SyntheticModelSpec.PresetNames).</summary>
    public string SyntheticModel { get; set; } = "tiny";

    /// <summary>Folder where Hub downloads and generated synthetic checkpoints are cached between runs.</summary>
    public string CacheDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "llmq-models");

    /// <summary>Reuse K/V of identical prompt prefixes (per cache salt) instead of recomputing them.</summary>
    public bool EnablePrefixCaching { get; set; } = true;

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
