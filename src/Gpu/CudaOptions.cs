namespace LlmQueue.Gpu;

/// <summary>The CUDA backend's own settings (section Engine:Cuda); the memory share is Engine:GpuMemoryUtilization.</summary>
public sealed class CudaOptions
{
    public const string SectionName = "Engine:Cuda";

    /// <summary>Which device the worker runs on (CUDA ordinal, after CUDA_VISIBLE_DEVICES).</summary>
    public int DeviceIndex { get; set; }

    /// <summary>Where compiled kernels are cached; empty: cuda-kernels under Engine:CacheDirectory.</summary>
    public string? KernelCacheDirectory { get; set; }

    /// <summary>Replay decode steps from CUDA graphs per batch bucket (off: every step launches its kernels).</summary>
    public bool Graphs { get; set; } = true;

    /// <summary>Every rule the settings break, each naming its key.</summary>
    public IReadOnlyList<string> Validate()
    {
        var failures = new List<string>();
        if (DeviceIndex < 0)
        {
            failures.Add($"{SectionName}:DeviceIndex must be >= 0, got {DeviceIndex}.");
        }

        if (KernelCacheDirectory is { Length: > 0 } folder && folder.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            failures.Add($"{SectionName}:KernelCacheDirectory '{folder}' is not a valid path.");
        }

        return failures;
    }

    /// <summary>The kernel cache folder: the configured one, else cuda-kernels under <paramref name="cacheDirectory"/>.</summary>
    public string KernelCacheFolder(string cacheDirectory) =>
        KernelCacheDirectory is { Length: > 0 } folder ? folder : Path.Combine(cacheDirectory, "cuda-kernels");
}
