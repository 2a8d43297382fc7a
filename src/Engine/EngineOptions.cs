using System.Globalization;
using LlmQueue.Models.Sources;
using LlmQueue.Models.Synthetic;

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

    /// <summary>
    /// Which backend runs the model: "cpu", "cuda", or "auto" (CUDA when a registered CUDA backend finds a GPU,
    /// otherwise the CPU, said in one log line).
    /// </summary>
    public string Device { get; set; } = EngineDevices.Auto;

    /// <summary>On a GPU, the fraction of the device memory the worker may fill; the KV cache gets what the weights leave.</summary>
    public double GpuMemoryUtilization { get; set; } = 0.9;

    /// <summary>Every rule the settings break, each naming its key under <paramref name="section"/>.</summary>
    public IReadOnlyList<string> Validate(string section = "Engine")
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(ModelPath))
        {
            if (string.IsNullOrWhiteSpace(SyntheticModel))
            {
                failures.Add($"{section}:SyntheticModel must be set when {section}:ModelPath is empty.");
            }
            else if (!SyntheticModelSpec.PresetNames.Contains(SyntheticModel, StringComparer.OrdinalIgnoreCase))
            {
                failures.Add($"{section}:SyntheticModel '{SyntheticModel}' is not a preset; expected one of {string.Join(", ", SyntheticModelSpec.PresetNames)}.");
            }
        }
        else if (ModelSource.IsLocalPath(ModelPath) && !Directory.Exists(ModelPath))
        {
            failures.Add($"{section}:ModelPath '{ModelPath}' is not an existing folder.");
        }

        OptionChecks.AddIfNotPositive(failures, section, nameof(BlockSize), BlockSize);
        OptionChecks.AddIfNotPositive(failures, section, nameof(KvCacheMiB), KvCacheMiB);
        OptionChecks.AddIfNotPositive(failures, section, nameof(MaxBatchTokens), MaxBatchTokens);
        OptionChecks.AddIfNotPositive(failures, section, nameof(MaxRunningRequests), MaxRunningRequests);
        if (Threads < 0)
        {
            failures.Add($"{section}:Threads must be >= 0 (0 = all cores), got {Threads}.");
        }

        if (!EngineDevices.All.Contains(Device, StringComparer.OrdinalIgnoreCase))
        {
            failures.Add($"{section}:Device must be one of {string.Join(", ", EngineDevices.All)}, got '{Device}'.");
        }

        if (!(GpuMemoryUtilization > 0 && GpuMemoryUtilization <= 1))
        {
            failures.Add($"{section}:GpuMemoryUtilization must be in (0, 1], got {GpuMemoryUtilization.ToString(CultureInfo.InvariantCulture)}.");
        }

        return failures;
    }
}
