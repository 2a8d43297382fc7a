using System.Globalization;
using LlmQueue.Gpu.Blas;
using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Checks;

/// <summary>Matrix products, each timed by <see cref="OperationProfiler"/> and labelled by its shape.</summary>
internal sealed class ProfiledBlasApi(IBlasApi inner, OperationProfiler profiler) : IBlasApi
{
    public string Version => inner.Version;

    public void Multiply(CudaStreamHandle stream, MatMul product) =>
        profiler.Around(Label("gemm", product), Bytes(product), stream, () => inner.Multiply(stream, product));

    public void MultiplyBatched(CudaStreamHandle stream, BatchedMatMul product) =>
        profiler.Around(Label($"gemm x{product.Batch}", product.Shape), product.Batch * Bytes(product.Shape), stream, () => inner.MultiplyBatched(stream, product));

    // The profiler borrows the library handle; its owner disposes it.
    public void Dispose()
    {
    }

    /// <summary>bf16 inputs read once, the output written once.</summary>
    private static long Bytes(MatMul shape) =>
        (((long)shape.M * shape.K) + ((long)shape.N * shape.K)) * sizeof(ushort) + ((long)shape.M * shape.N * (shape.Output == BlasElement.F32 ? sizeof(float) : sizeof(ushort)));

    private static string Label(string kind, MatMul shape) =>
        string.Create(CultureInfo.InvariantCulture, $"{kind} {shape.M}x{shape.N}x{shape.K} -> {shape.Output}");
}
