namespace LlmQueue.Gpu.Driver;

/// <summary>
/// A driver that passes every call to another; decorators (a profiler, a test double dropping launches) override
/// only what they change. It disposes the inner driver only when it owns it.
/// </summary>
public abstract class DelegatingCudaApi(ICudaApi inner, bool ownsInner) : ICudaApi
{
    protected ICudaApi Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public virtual void Launch(CudaFunction kernel, LaunchDims dims, CudaStreamHandle stream, KernelArguments arguments) =>
        Inner.Launch(kernel, dims, stream, arguments);

    public virtual CudaDeviceInfo Device => Inner.Device;

    public virtual DevicePointer Allocate(long bytes) => Inner.Allocate(bytes);

    public virtual void Free(DevicePointer buffer) => Inner.Free(buffer);

    public virtual (long Free, long Total) MemoryInfo() => Inner.MemoryInfo();

    public virtual nint AllocatePinned(long bytes) => Inner.AllocatePinned(bytes);

    public virtual void FreePinned(nint host) => Inner.FreePinned(host);

    public virtual void CopyToDevice(DevicePointer destination, nint source, long bytes, CudaStreamHandle stream) => Inner.CopyToDevice(destination, source, bytes, stream);

    public virtual void CopyToHost(nint destination, DevicePointer source, long bytes, CudaStreamHandle stream) => Inner.CopyToHost(destination, source, bytes, stream);

    public virtual void CopyOnDevice(DevicePointer destination, DevicePointer source, long bytes, CudaStreamHandle stream) => Inner.CopyOnDevice(destination, source, bytes, stream);

    public virtual void Fill32(DevicePointer destination, uint value, long count, CudaStreamHandle stream) => Inner.Fill32(destination, value, count, stream);

    public virtual CudaModule LoadModule(byte[] image) => Inner.LoadModule(image);

    public virtual void UnloadModule(CudaModule kernelModule) => Inner.UnloadModule(kernelModule);

    public virtual CudaFunction GetFunction(CudaModule kernelModule, string name) => Inner.GetFunction(kernelModule, name);

    public virtual FunctionAttributes GetAttributes(CudaFunction kernel) => Inner.GetAttributes(kernel);

    public virtual CudaStreamHandle CreateStream() => Inner.CreateStream();

    public virtual void DestroyStream(CudaStreamHandle stream) => Inner.DestroyStream(stream);

    public virtual void Synchronize(CudaStreamHandle stream) => Inner.Synchronize(stream);

    public virtual CudaEvent CreateEvent() => Inner.CreateEvent();

    public virtual void Record(CudaEvent cudaEvent, CudaStreamHandle stream) => Inner.Record(cudaEvent, stream);

    public virtual void Synchronize(CudaEvent cudaEvent) => Inner.Synchronize(cudaEvent);

    public virtual float ElapsedMilliseconds(CudaEvent started, CudaEvent finished) => Inner.ElapsedMilliseconds(started, finished);

    public virtual void DestroyEvent(CudaEvent cudaEvent) => Inner.DestroyEvent(cudaEvent);

    public virtual void BeginCapture(CudaStreamHandle stream) => Inner.BeginCapture(stream);

    public virtual CudaGraph EndCapture(CudaStreamHandle stream) => Inner.EndCapture(stream);

    public virtual CudaGraphExec Instantiate(CudaGraph graph) => Inner.Instantiate(graph);

    public virtual void Launch(CudaGraphExec graph, CudaStreamHandle stream) => Inner.Launch(graph, stream);

    public virtual bool TryUpdate(CudaGraphExec graph, CudaGraph from) => Inner.TryUpdate(graph, from);

    public virtual void Destroy(CudaGraph graph) => Inner.Destroy(graph);

    public virtual void Destroy(CudaGraphExec graph) => Inner.Destroy(graph);

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing && ownsInner)
        {
            Inner.Dispose();
        }
    }
}
