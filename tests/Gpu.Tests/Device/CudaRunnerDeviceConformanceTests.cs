using LlmQueue.Gpu.Compilation;
using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Execution;

namespace LlmQueue.Gpu.Tests.Device;

/// <summary>
/// The runner conformance suite on the real device (device 0, kernels compiled by its NVRTC through the disk cache,
/// cuBLAS products): the same claims as on the fake driver. Without a GPU every case is "not run (no GPU)".
/// </summary>
[RequiresGpu]
public sealed class CudaRunnerDeviceConformanceTests() : RunnerConformanceSuite(logitTolerance: 3e-2)
{
    protected override float SamplingInitStd => 0.1f;

    protected override double MinimumDecisiveShare => 0;

    protected override IModelRunner CreateRunner(LlamaModel model, int blockTokens, int largePages)
    {
        var device = DeviceBackend.Open(0, new KernelCache(Path.Combine(Path.GetTempPath(), "llmq-gpu-test-kernels")));
        return new CudaModelRunner(device, model, new CudaRunnerSettings(blockTokens, MaxBatchTokens: 96, MaxSequences: 12, KvLargePages: largePages), ownedDevice: device);
    }
}
