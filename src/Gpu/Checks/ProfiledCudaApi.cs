using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Checks;

/// <summary>The driver, with each kernel launch timed by <see cref="OperationProfiler"/>; everything else passes through.</summary>
internal sealed class ProfiledCudaApi(ICudaApi inner, OperationProfiler profiler) : DelegatingCudaApi(inner, ownsInner: false)
{
    public override void Launch(CudaFunction kernel, LaunchDims dims, CudaStreamHandle stream, KernelArguments arguments) =>
        profiler.Around(profiler.KernelName(kernel), 0, stream, () => Inner.Launch(kernel, dims, stream, arguments));
}
