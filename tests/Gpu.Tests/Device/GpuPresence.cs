using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Tests.Device;

/// <summary>Whether this machine has a CUDA device, asked once per test run.</summary>
internal static class GpuPresence
{
    private static readonly Lazy<string?> s_missing = new(() => CudaDriverApi.CountDevices(out string reason) > 0 ? null : reason);

    /// <summary>Null with a device; else why there is none.</summary>
    public static string? MissingReason => s_missing.Value;

    public static string SkipReason(string reason) => $"not run (no GPU): {reason}";
}
