using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Checks;

/// <summary>The driver, with each kernel launch timed by <see cref="OperationProfiler"/>; everything else passes through.</summary>
internal sealed class ProfiledCudaApi(ICudaApi inner, OperationProfiler profiler) : ICudaApi
{
    public CudaDeviceInfo Device => inner.Device;

    public void Launch(CudaFunction kernel, LaunchDims dims, CudaStreamHandle stream, KernelArguments arguments) =>
        profiler.Around(profiler.KernelName(kernel), 0, stream, () => inner.Launch(kernel, dims, stream, arguments));

    public DevicePointer Allocate(long bytes) => inner.Allocate(bytes);

    public void Free(DevicePointer buffer) => inner.Free(buffer);

    public (long Free, long Total) MemoryInfo() => inner.MemoryInfo();

    public nint AllocatePinned(long bytes) => inner.AllocatePinned(bytes);

    public void FreePinned(nint host) => inner.FreePinned(host);

    public void CopyToDevice(DevicePointer destination, nint source, long bytes, CudaStreamHandle stream) => inner.CopyToDevice(destination, source, bytes, stream);

    public void CopyToHost(nint destination, DevicePointer source, long bytes, CudaStreamHandle stream) => inner.CopyToHost(destination, source, bytes, stream);

    public void CopyOnDevice(DevicePointer destination, DevicePointer source, long bytes, CudaStreamHandle stream) => inner.CopyOnDevice(destination, source, bytes, stream);

    public void Fill32(DevicePointer destination, uint value, long count, CudaStreamHandle stream) => inner.Fill32(destination, value, count, stream);

    public CudaModule LoadModule(byte[] image) => inner.LoadModule(image);

    public void UnloadModule(CudaModule kernelModule) => inner.UnloadModule(kernelModule);

    public CudaFunction GetFunction(CudaModule kernelModule, string name) => inner.GetFunction(kernelModule, name);

    public FunctionAttributes GetAttributes(CudaFunction kernel) => inner.GetAttributes(kernel);

    public CudaStreamHandle CreateStream() => inner.CreateStream();

    public void DestroyStream(CudaStreamHandle stream) => inner.DestroyStream(stream);

    public void Synchronize(CudaStreamHandle stream) => inner.Synchronize(stream);

    public CudaEvent CreateEvent() => inner.CreateEvent();

    public void Record(CudaEvent cudaEvent, CudaStreamHandle stream) => inner.Record(cudaEvent, stream);

    public void Synchronize(CudaEvent cudaEvent) => inner.Synchronize(cudaEvent);

    public float ElapsedMilliseconds(CudaEvent started, CudaEvent finished) => inner.ElapsedMilliseconds(started, finished);

    public void DestroyEvent(CudaEvent cudaEvent) => inner.DestroyEvent(cudaEvent);

    public void BeginCapture(CudaStreamHandle stream) => inner.BeginCapture(stream);

    public CudaGraph EndCapture(CudaStreamHandle stream) => inner.EndCapture(stream);

    public CudaGraphExec Instantiate(CudaGraph graph) => inner.Instantiate(graph);

    public void Launch(CudaGraphExec graph, CudaStreamHandle stream) => inner.Launch(graph, stream);

    public bool TryUpdate(CudaGraphExec graph, CudaGraph from) => inner.TryUpdate(graph, from);

    public void Destroy(CudaGraph graph) => inner.Destroy(graph);

    public void Destroy(CudaGraphExec graph) => inner.Destroy(graph);

    // The profiler borrows the driver; its owner disposes it.
    public void Dispose()
    {
    }
}
