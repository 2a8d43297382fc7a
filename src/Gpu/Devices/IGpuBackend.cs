using LlmQueue.Gpu.Blas;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;

namespace LlmQueue.Gpu.Devices;

/// <summary>A driver with its matrix products and loaded kernels: the device's (<see cref="DeviceBackend"/>) or the fake's (<see cref="ReferenceBackend"/>).</summary>
public interface IGpuBackend
{
    ICudaApi Cuda { get; }

    IBlasApi Blas { get; }

    KernelModule Kernels { get; }
}
