using LlmQueue.Gpu.Blas;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;
using LlmQueue.Gpu.Reference;

namespace LlmQueue.Gpu.Devices;

/// <summary>The fake driver with its C# reference kernels and matrix products: every launch runs on the host.</summary>
public sealed class ReferenceBackend : IGpuBackend, IDisposable
{
    /// <param name="device">What the fake reports (by default an 80 GiB sm_90 device; memory is host memory when used).</param>
    public ReferenceBackend(CudaDeviceInfo? device = null)
    {
        Fake = new FakeCudaApi(device);
        FakeBlas = new FakeBlas(Fake);
        Kernels = KernelModule.Load(Fake, []);
        Launcher = new KernelLauncher(Fake, Kernels);
    }

    public FakeCudaApi Fake { get; }

    public FakeBlas FakeBlas { get; }

    public ICudaApi Cuda => Fake;

    public IBlasApi Blas => FakeBlas;

    public KernelModule Kernels { get; }

    public KernelLauncher Launcher { get; }

    public void Dispose()
    {
        Kernels.Dispose();
        Fake.Dispose();
    }
}
