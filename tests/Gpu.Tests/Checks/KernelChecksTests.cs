using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Checks;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Reference;

namespace LlmQueue.Gpu.Tests.Checks;

/// <summary>The GPU check's own machinery, with the fake driver standing in for the device.</summary>
public class KernelChecksTests
{
    private const int Cases = 12; // embedding, norms, RoPE and the first attention cases

    [Fact]
    public void Identical_backends_pass_every_check_with_zero_error()
    {
        using var device = new ReferenceBackend();
        using var reference = new ReferenceBackend();
        using var mirror = new KernelMirror(device.Cuda, device.Kernels, device.Blas, reference.Fake, reference.Kernels, reference.Blas);
        int started = 0;
        var results = KernelChecks.Run(mirror, seed: 3, outOfTime: () => ++started > Cases);
        Assert.Equal(Cases, results.Count(r => r.Outcome == CheckOutcome.Passed));
        Assert.All(results.Where(r => r.Outcome == CheckOutcome.Passed), r => Assert.Contains("relative error 0.00E+000", r.Detail, StringComparison.Ordinal));
        Assert.All(results.Skip(Cases), r => Assert.Equal(CheckOutcome.NotRun, r.Outcome));
    }

    [Fact]
    public void A_device_whose_kernels_write_nothing_fails_every_kernel_check()
    {
        using var silent = new SilentLaunches();
        using var blas = new FakeBlas(silent.Inner);
        using var kernels = Kernels.KernelModule.Load(silent, []);
        using var reference = new ReferenceBackend();
        using var mirror = new KernelMirror(silent, kernels, blas, reference.Fake, reference.Kernels, reference.Blas);
        int started = 0;
        var results = KernelChecks.Run(mirror, seed: 4, outOfTime: () => ++started > Cases);
        // Outputs start as NaN: an output the device never wrote compares as an infinite error.
        Assert.All(results.Take(Cases), r => Assert.Equal(CheckOutcome.Failed, r.Outcome));
    }

    /// <summary>The fake driver with every kernel launch dropped.</summary>
    private sealed class SilentLaunches : ICudaApi
    {
        public FakeCudaApi Inner { get; } = new();

        public CudaDeviceInfo Device => Inner.Device;

        public DevicePointer Allocate(long bytes) => Inner.Allocate(bytes);

        public void Free(DevicePointer buffer) => Inner.Free(buffer);

        public (long Free, long Total) MemoryInfo() => Inner.MemoryInfo();

        public nint AllocatePinned(long bytes) => Inner.AllocatePinned(bytes);

        public void FreePinned(nint host) => Inner.FreePinned(host);

        public void CopyToDevice(DevicePointer destination, nint source, long bytes, CudaStreamHandle stream) => Inner.CopyToDevice(destination, source, bytes, stream);

        public void CopyToHost(nint destination, DevicePointer source, long bytes, CudaStreamHandle stream) => Inner.CopyToHost(destination, source, bytes, stream);

        public void CopyOnDevice(DevicePointer destination, DevicePointer source, long bytes, CudaStreamHandle stream) => Inner.CopyOnDevice(destination, source, bytes, stream);

        public void Fill32(DevicePointer destination, uint value, long count, CudaStreamHandle stream) => Inner.Fill32(destination, value, count, stream);

        public CudaModule LoadModule(byte[] image) => Inner.LoadModule(image);

        public void UnloadModule(CudaModule kernelModule) => Inner.UnloadModule(kernelModule);

        public CudaFunction GetFunction(CudaModule kernelModule, string name) => Inner.GetFunction(kernelModule, name);

        public FunctionAttributes GetAttributes(CudaFunction kernel) => Inner.GetAttributes(kernel);

        public void Launch(CudaFunction kernel, LaunchDims dims, CudaStreamHandle stream, KernelArguments arguments)
        {
        }

        public CudaStreamHandle CreateStream() => Inner.CreateStream();

        public void DestroyStream(CudaStreamHandle stream) => Inner.DestroyStream(stream);

        public void Synchronize(CudaStreamHandle stream) => Inner.Synchronize(stream);

        public CudaEvent CreateEvent() => Inner.CreateEvent();

        public void Record(CudaEvent cudaEvent, CudaStreamHandle stream) => Inner.Record(cudaEvent, stream);

        public void Synchronize(CudaEvent cudaEvent) => Inner.Synchronize(cudaEvent);

        public float ElapsedMilliseconds(CudaEvent started, CudaEvent finished) => Inner.ElapsedMilliseconds(started, finished);

        public void DestroyEvent(CudaEvent cudaEvent) => Inner.DestroyEvent(cudaEvent);

        public void BeginCapture(CudaStreamHandle stream) => Inner.BeginCapture(stream);

        public CudaGraph EndCapture(CudaStreamHandle stream) => Inner.EndCapture(stream);

        public CudaGraphExec Instantiate(CudaGraph graph) => Inner.Instantiate(graph);

        public void Launch(CudaGraphExec graph, CudaStreamHandle stream) => Inner.Launch(graph, stream);

        public bool TryUpdate(CudaGraphExec graph, CudaGraph from) => Inner.TryUpdate(graph, from);

        public void Destroy(CudaGraph graph) => Inner.Destroy(graph);

        public void Destroy(CudaGraphExec graph) => Inner.Destroy(graph);

        public void Dispose() => Inner.Dispose();
    }
}
