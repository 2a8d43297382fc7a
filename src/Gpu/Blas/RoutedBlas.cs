using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;

namespace LlmQueue.Gpu.Blas;

/// <summary>
/// Matrix products as the device runs them: products of a few rows (decode steps) through the project's
/// gemv_bf16 kernel, which keeps enough weight loads in flight to stream the weights near the memory bandwidth;
/// everything else (prefill, batched products) through the library.
/// </summary>
public sealed class RoutedBlas(IBlasApi library, KernelLauncher kernels) : IBlasApi
{
    public string Version => library.Version;

    /// <summary>The library every product not routed to the kernel goes to.</summary>
    public IBlasApi Library => library;

    public void Multiply(CudaStreamHandle stream, MatMul product)
    {
        if (KernelLauncher.SuitsGemv(product))
        {
            kernels.Gemv(stream, product);
            return;
        }

        library.Multiply(stream, product);
    }

    public void MultiplyBatched(CudaStreamHandle stream, BatchedMatMul product) => library.MultiplyBatched(stream, product);

    public void Dispose() => library.Dispose();
}
