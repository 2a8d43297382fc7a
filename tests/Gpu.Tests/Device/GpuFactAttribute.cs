using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Tests.Device;

/// <summary>
/// A test that needs a CUDA device. Where the driver sees none, xunit reports it as skipped with
/// "not run (no GPU): reason": never as passed.
/// </summary>
public sealed class GpuFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> NoDeviceReason = new(() => CudaDriverApi.CountDevices(out string reason) > 0 ? null : reason);

    public GpuFactAttribute()
    {
        if (NoDeviceReason.Value is { } reason)
        {
            Skip = $"not run (no GPU): {reason}";
        }
    }
}
