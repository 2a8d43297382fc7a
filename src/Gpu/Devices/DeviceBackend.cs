using System.Diagnostics;
using LlmQueue.Gpu.Blas;
using LlmQueue.Gpu.Compilation;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;

namespace LlmQueue.Gpu.Devices;

/// <summary>
/// A real device opened for checks: the driver on device <c>ordinal</c>, the kernels compiled by this machine's NVRTC
/// for the device's architecture (through the disk cache), and a cuBLAS handle.
/// </summary>
public sealed class DeviceBackend : IGpuBackend, IDisposable
{
    private readonly CudaDriverApi _driver;
    private readonly CublasApi _blas;

    private DeviceBackend(CudaDriverApi driver, NvrtcCompiler compiler, CompiledKernels compiled, bool freshCompile, TimeSpan compileTime, KernelModule kernels, CublasApi blas)
    {
        _driver = driver;
        Compiler = compiler;
        Compiled = compiled;
        FreshCompile = freshCompile;
        CompileTime = compileTime;
        Kernels = kernels;
        _blas = blas;
        Blas = new RoutedBlas(blas, new KernelLauncher(driver, kernels));
    }

    public ICudaApi Cuda => _driver;

    public string DriverLibrary => _driver.LibraryName;

    /// <summary>cuBLAS, with decode-time products on the project's own kernel (<see cref="RoutedBlas"/>).</summary>
    public IBlasApi Blas { get; }

    public KernelModule Kernels { get; }

    public NvrtcCompiler Compiler { get; }

    public CompiledKernels Compiled { get; }

    /// <summary>False when the kernels came from the disk cache.</summary>
    public bool FreshCompile { get; }

    public TimeSpan CompileTime { get; }

    public static DeviceBackend Open(int ordinal, KernelCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var driver = CudaDriverApi.Open(ordinal);
        try
        {
            var compiler = NvrtcCompiler.Load();
            var clock = Stopwatch.StartNew();
            var compiled = cache.GetOrCompile(compiler, KernelSources.Embedded(), compiler.TargetFor(driver.Device.ComputeMajor, driver.Device.ComputeMinor), out bool fresh);
            var elapsed = clock.Elapsed;
            var kernels = KernelModule.Load(driver, compiled.Image);
            return new DeviceBackend(driver, compiler, compiled, fresh, elapsed, kernels, CublasApi.Create(driver));
        }
        catch
        {
            driver.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _blas.Dispose();
        Kernels.Dispose();
        _driver.Dispose();
    }
}
