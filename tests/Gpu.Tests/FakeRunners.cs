using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Execution;

namespace LlmQueue.Gpu.Tests;

/// <summary>CUDA runners on a fake driver of their own (C# reference kernels), as the conformance suite and engine tests build them.</summary>
internal static class FakeRunners
{
    public static CudaModelRunner Create(LlamaModel model, int blockTokens, int largePages, bool graphs = true)
    {
        var backend = new ReferenceBackend();
        try
        {
            return new CudaModelRunner(
                backend, model, new CudaRunnerSettings(blockTokens, MaxBatchTokens: 96, MaxSequences: 12, KvLargePages: largePages, UseGraphs: graphs), ownedDevice: backend);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }
}
