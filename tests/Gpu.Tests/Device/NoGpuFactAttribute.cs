namespace LlmQueue.Gpu.Tests.Device;

/// <summary>A test of the path a machine without a GPU takes; where there is one, it is skipped ("not run: a GPU is present").</summary>
public sealed class NoGpuFactAttribute : FactAttribute
{
    public NoGpuFactAttribute()
    {
        if (GpuPresence.MissingReason is null)
        {
            Skip = "not run: a GPU is present, so the no-GPU path is not taken";
        }
    }
}
