using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Blas;

/// <summary>Matrix products on the device: cuBLAS, or the fake's C# reference (<see cref="Reference.FakeBlas"/>).</summary>
public interface IBlasApi : IDisposable
{
    /// <summary>Library and version, e.g. "libcublas.so.13 13.1.0".</summary>
    string Version { get; }

    void Multiply(CudaStreamHandle stream, MatMul product);

    void MultiplyBatched(CudaStreamHandle stream, BatchedMatMul product);
}
