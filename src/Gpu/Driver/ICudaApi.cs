namespace LlmQueue.Gpu.Driver;

/// <summary>
/// The slice of the CUDA driver API the backend uses, bound to one device's context. The real implementation
/// calls libcuda; the fake one (<see cref="Reference.FakeCudaApi"/>) keeps "device" memory on the host and runs
/// each kernel launch as the kernel's C# reference, so all host logic is tested without a GPU. Copies, fills and
/// launches are stream-ordered and asynchronous; host buffers passed to async copies must be pinned
/// (<see cref="AllocatePinned"/>) and stay valid until the stream is synchronized.
/// </summary>
public interface ICudaApi : IDisposable
{
    CudaDeviceInfo Device { get; }

    DevicePointer Allocate(long bytes);

    void Free(DevicePointer buffer);

    /// <summary>Free and total device memory in bytes.</summary>
    (long Free, long Total) MemoryInfo();

    /// <summary>Page-locked host memory (the only kind async copies may use).</summary>
    nint AllocatePinned(long bytes);

    void FreePinned(nint host);

    void CopyToDevice(DevicePointer destination, nint source, long bytes, CudaStreamHandle stream);

    void CopyToHost(nint destination, DevicePointer source, long bytes, CudaStreamHandle stream);

    void CopyOnDevice(DevicePointer destination, DevicePointer source, long bytes, CudaStreamHandle stream);

    /// <summary>Sets <paramref name="count"/> 32-bit words to <paramref name="value"/>.</summary>
    void Fill32(DevicePointer destination, uint value, long count, CudaStreamHandle stream);

    /// <summary>Loads a CUBIN or PTX image.</summary>
    CudaModule LoadModule(byte[] image);

    void UnloadModule(CudaModule kernelModule);

    CudaFunction GetFunction(CudaModule kernelModule, string name);

    FunctionAttributes GetAttributes(CudaFunction kernel);

    void Launch(CudaFunction kernel, LaunchDims dims, CudaStreamHandle stream, KernelArguments arguments);

    CudaStreamHandle CreateStream();

    void DestroyStream(CudaStreamHandle stream);

    void Synchronize(CudaStreamHandle stream);

    CudaEvent CreateEvent();

    void Record(CudaEvent cudaEvent, CudaStreamHandle stream);

    void Synchronize(CudaEvent cudaEvent);

    float ElapsedMilliseconds(CudaEvent started, CudaEvent finished);

    void DestroyEvent(CudaEvent cudaEvent);

    /// <summary>Starts recording the stream's work into a graph instead of running it.</summary>
    void BeginCapture(CudaStreamHandle stream);

    CudaGraph EndCapture(CudaStreamHandle stream);

    CudaGraphExec Instantiate(CudaGraph graph);

    void Launch(CudaGraphExec graph, CudaStreamHandle stream);

    /// <summary>Updates an instantiated graph's parameters in place from a graph of the same shape; false when the shapes differ.</summary>
    bool TryUpdate(CudaGraphExec graph, CudaGraph from);

    void Destroy(CudaGraph graph);

    void Destroy(CudaGraphExec graph);
}
