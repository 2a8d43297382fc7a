namespace LlmQueue.Gpu.Tests.Device;

/// <summary>
/// A test that needs a CUDA device. Where the driver sees none, xunit reports it as skipped with
/// "not run (no GPU): reason": never as passed.
/// </summary>
public sealed class GpuFactAttribute : FactAttribute
{
    public GpuFactAttribute()
    {
        if (GpuPresence.MissingReason is { } reason)
        {
            Skip = GpuPresence.SkipReason(reason);
        }
    }
}
