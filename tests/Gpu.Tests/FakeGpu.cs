using LlmQueue.Gpu.Kernels;
using LlmQueue.Gpu.Reference;

namespace LlmQueue.Gpu.Tests;

/// <summary>The fake driver with its C# reference kernels and matrix products, and the kernel module loaded on it.</summary>
internal sealed class FakeGpu : IDisposable
{
    public FakeGpu()
    {
        Cuda = new FakeCudaApi();
        Blas = new FakeBlas(Cuda);
        Module = KernelModule.Load(Cuda, []);
        Kernels = new KernelLauncher(Cuda, Module);
    }

    public FakeCudaApi Cuda { get; }

    public FakeBlas Blas { get; }

    public KernelModule Module { get; }

    public KernelLauncher Kernels { get; }

    public void Dispose()
    {
        Module.Dispose();
        Cuda.Dispose();
    }
}
