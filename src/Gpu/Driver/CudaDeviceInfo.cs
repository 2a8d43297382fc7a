namespace LlmQueue.Gpu.Driver;

/// <summary>What the backend needs to know about one device, read once when it is opened.</summary>
public sealed record CudaDeviceInfo(
    int Ordinal,
    string Name,
    int ComputeMajor,
    int ComputeMinor,
    int Multiprocessors,
    long TotalMemoryBytes,
    int SharedMemoryPerBlock,
    int SharedMemoryPerBlockOptIn,
    int L2CacheBytes,
    int DriverVersion)
{
    /// <summary>The NVRTC target of this device, e.g. "sm_90".</summary>
    public string Architecture => $"sm_{ComputeMajor}{ComputeMinor}";

    /// <summary>The driver's CUDA version as "major.minor" (13000 -> 13.0).</summary>
    public string DriverVersionText => FormatCudaVersion(DriverVersion);

    public static string FormatCudaVersion(int version) => $"{version / 1000}.{version % 1000 / 10}";
}
