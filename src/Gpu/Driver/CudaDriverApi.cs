using System.Runtime.InteropServices;
using System.Text;
using LlmQueue.Gpu.Native;

namespace LlmQueue.Gpu.Driver;

/// <summary>
/// <see cref="ICudaApi"/> over libcuda, on the device's primary context (the one the CUDA runtime, and so cuBLAS,
/// uses too). Every call's status is checked. The context is made current on whichever thread calls.
/// </summary>
public sealed unsafe class CudaDriverApi : ICudaApi
{
    private const int AttributeMaxSharedPerBlock = 8;
    private const int AttributeMultiprocessors = 16;
    private const int AttributeL2CacheSize = 38;
    private const int AttributeComputeMajor = 75;
    private const int AttributeComputeMinor = 76;
    private const int AttributeMaxSharedPerBlockOptIn = 97;
    private const int FunctionMaxThreads = 0;
    private const int FunctionSharedBytes = 1;
    private const int FunctionLocalBytes = 3;
    private const int FunctionRegisters = 4;
    private const int FunctionBinaryVersion = 6;
    private const uint StreamNonBlocking = 1;
    private const int CaptureModeThreadLocal = 1;

    [ThreadStatic]
    private static nint s_currentContext;

    private readonly CudaDriverNative _native;
    private readonly nint _context;
    private bool _disposed;

    private CudaDriverApi(CudaDriverNative native, nint context, CudaDeviceInfo device)
    {
        _native = native;
        _context = context;
        Device = device;
    }

    public CudaDeviceInfo Device { get; }

    /// <summary>Path or soname of the driver library in use.</summary>
    public string LibraryName => _native.Name;

    /// <summary>Devices the driver sees, or 0 with the reason (no driver library, cuInit failing: no GPU, no permission).</summary>
    public static int CountDevices(out string reason)
    {
        var native = CudaDriverNative.TryLoad(out reason);
        if (native is null)
        {
            return 0;
        }

        int status = native.Init(0);
        if (status != 0)
        {
            reason = $"cuInit failed: {native.ErrorName(status)} ({status})";
            return 0;
        }

        int count;
        status = native.DeviceGetCount(&count);
        if (status != 0 || count == 0)
        {
            reason = status != 0 ? $"cuDeviceGetCount failed: {native.ErrorName(status)} ({status})" : "the CUDA driver sees no device";
            return 0;
        }

        return count;
    }

    /// <summary>Opens device <paramref name="ordinal"/>; throws <see cref="CudaException"/> naming what failed.</summary>
    public static CudaDriverApi Open(int ordinal)
    {
        var native = CudaDriverNative.TryLoad(out string reason) ?? throw new CudaException($"CUDA is unavailable: {reason}.");
        native.Check(native.Init(0), "cuInit");
        int count;
        native.Check(native.DeviceGetCount(&count), "cuDeviceGetCount");
        if (ordinal < 0 || ordinal >= count)
        {
            throw new CudaException($"CUDA device {ordinal} does not exist; the driver sees {count} device(s).");
        }

        int device;
        native.Check(native.DeviceGet(&device, ordinal), "cuDeviceGet");
        nint context;
        native.Check(native.PrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
        native.Check(native.CtxSetCurrent(context), "cuCtxSetCurrent");
        s_currentContext = context;
        return new CudaDriverApi(native, context, ReadDevice(native, ordinal, device));
    }

    public DevicePointer Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        EnsureCurrent();
        ulong address;
        _native.Check(_native.MemAlloc(&address, (nuint)bytes), "cuMemAlloc_v2");
        return new DevicePointer(address);
    }

    public void Free(DevicePointer buffer)
    {
        EnsureCurrent();
        _native.Check(_native.MemFree(buffer.Address), "cuMemFree_v2");
    }

    public (long Free, long Total) MemoryInfo()
    {
        EnsureCurrent();
        nuint free;
        nuint total;
        _native.Check(_native.MemGetInfo(&free, &total), "cuMemGetInfo_v2");
        return ((long)free, (long)total);
    }

    public nint AllocatePinned(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        EnsureCurrent();
        void* host;
        _native.Check(_native.MemAllocHost(&host, (nuint)bytes), "cuMemAllocHost_v2");
        return (nint)host;
    }

    public void FreePinned(nint host)
    {
        EnsureCurrent();
        _native.Check(_native.MemFreeHost((void*)host), "cuMemFreeHost");
    }

    public void CopyToDevice(DevicePointer destination, nint source, long bytes, CudaStreamHandle stream)
    {
        EnsureCurrent();
        _native.Check(_native.MemcpyHtoDAsync(destination.Address, (void*)source, (nuint)bytes, stream.Handle), "cuMemcpyHtoDAsync_v2");
    }

    public void CopyToHost(nint destination, DevicePointer source, long bytes, CudaStreamHandle stream)
    {
        EnsureCurrent();
        _native.Check(_native.MemcpyDtoHAsync((void*)destination, source.Address, (nuint)bytes, stream.Handle), "cuMemcpyDtoHAsync_v2");
    }

    public void CopyOnDevice(DevicePointer destination, DevicePointer source, long bytes, CudaStreamHandle stream)
    {
        EnsureCurrent();
        _native.Check(_native.MemcpyDtoDAsync(destination.Address, source.Address, (nuint)bytes, stream.Handle), "cuMemcpyDtoDAsync_v2");
    }

    public void Fill32(DevicePointer destination, uint value, long count, CudaStreamHandle stream)
    {
        EnsureCurrent();
        _native.Check(_native.MemsetD32Async(destination.Address, value, (nuint)count, stream.Handle), "cuMemsetD32Async");
    }

    public CudaModule LoadModule(byte[] image)
    {
        ArgumentNullException.ThrowIfNull(image);
        EnsureCurrent();
        nint module;
        fixed (byte* data = image)
        {
            _native.Check(_native.ModuleLoadData(&module, data), "cuModuleLoadData");
        }

        return new CudaModule(module);
    }

    public void UnloadModule(CudaModule kernelModule)
    {
        EnsureCurrent();
        _native.Check(_native.ModuleUnload(kernelModule.Handle), "cuModuleUnload");
    }

    public CudaFunction GetFunction(CudaModule kernelModule, string name)
    {
        EnsureCurrent();
        nint function;
        var utf8 = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* text = utf8)
        {
            _native.Check(_native.ModuleGetFunction(&function, kernelModule.Handle, text), $"cuModuleGetFunction({name})");
        }

        return new CudaFunction(function);
    }

    public FunctionAttributes GetAttributes(CudaFunction kernel)
    {
        EnsureCurrent();
        int Read(int attribute)
        {
            int value;
            _native.Check(_native.FuncGetAttribute(&value, attribute, kernel.Handle), "cuFuncGetAttribute");
            return value;
        }

        return new FunctionAttributes(Read(FunctionRegisters), Read(FunctionSharedBytes), Read(FunctionLocalBytes), Read(FunctionMaxThreads), Read(FunctionBinaryVersion));
    }

    public void Launch(CudaFunction kernel, LaunchDims dims, CudaStreamHandle stream, KernelArguments arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        arguments.EnsureComplete();
        dims.Validate(arguments.Signature.Name);
        EnsureCurrent();
        var slots = arguments.Slots;
        void** pointers = stackalloc void*[slots.Length];
        fixed (ulong* values = slots)
        {
            for (int i = 0; i < slots.Length; i++)
            {
                pointers[i] = values + i;
            }

            _native.Check(
                _native.LaunchKernel(kernel.Handle, (uint)dims.GridX, (uint)dims.GridY, (uint)dims.GridZ, (uint)dims.BlockX, 1, 1, (uint)dims.SharedBytes, stream.Handle, pointers, null),
                $"cuLaunchKernel({arguments.Signature.Name})");
        }
    }

    public CudaStreamHandle CreateStream()
    {
        EnsureCurrent();
        nint stream;
        _native.Check(_native.StreamCreate(&stream, StreamNonBlocking), "cuStreamCreate");
        return new CudaStreamHandle(stream);
    }

    public void DestroyStream(CudaStreamHandle stream)
    {
        EnsureCurrent();
        _native.Check(_native.StreamDestroy(stream.Handle), "cuStreamDestroy_v2");
    }

    public void Synchronize(CudaStreamHandle stream)
    {
        EnsureCurrent();
        _native.Check(_native.StreamSynchronize(stream.Handle), "cuStreamSynchronize");
    }

    public CudaEvent CreateEvent()
    {
        EnsureCurrent();
        nint cudaEvent;
        _native.Check(_native.EventCreate(&cudaEvent, 0), "cuEventCreate");
        return new CudaEvent(cudaEvent);
    }

    public void Record(CudaEvent cudaEvent, CudaStreamHandle stream)
    {
        EnsureCurrent();
        _native.Check(_native.EventRecord(cudaEvent.Handle, stream.Handle), "cuEventRecord");
    }

    public void Synchronize(CudaEvent cudaEvent)
    {
        EnsureCurrent();
        _native.Check(_native.EventSynchronize(cudaEvent.Handle), "cuEventSynchronize");
    }

    public float ElapsedMilliseconds(CudaEvent started, CudaEvent finished)
    {
        EnsureCurrent();
        float milliseconds;
        _native.Check(_native.EventElapsedTime(&milliseconds, started.Handle, finished.Handle), "cuEventElapsedTime");
        return milliseconds;
    }

    public void DestroyEvent(CudaEvent cudaEvent)
    {
        EnsureCurrent();
        _native.Check(_native.EventDestroy(cudaEvent.Handle), "cuEventDestroy_v2");
    }

    public void BeginCapture(CudaStreamHandle stream)
    {
        EnsureCurrent();
        _native.Check(_native.StreamBeginCapture(stream.Handle, CaptureModeThreadLocal), "cuStreamBeginCapture_v2");
    }

    public CudaGraph EndCapture(CudaStreamHandle stream)
    {
        EnsureCurrent();
        nint graph;
        _native.Check(_native.StreamEndCapture(stream.Handle, &graph), "cuStreamEndCapture");
        return new CudaGraph(graph);
    }

    public CudaGraphExec Instantiate(CudaGraph graph)
    {
        EnsureCurrent();
        nint exec;
        _native.Check(_native.GraphInstantiate(&exec, graph.Handle, 0), "cuGraphInstantiateWithFlags");
        return new CudaGraphExec(exec);
    }

    public void Launch(CudaGraphExec graph, CudaStreamHandle stream)
    {
        EnsureCurrent();
        _native.Check(_native.GraphLaunch(graph.Handle, stream.Handle), "cuGraphLaunch");
    }

    public bool TryUpdate(CudaGraphExec graph, CudaGraph from)
    {
        EnsureCurrent();
        GraphExecUpdateResultInfo info;
        int status = _native.GraphExecUpdate(graph.Handle, from.Handle, &info);
        // CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE: the topology or node kinds changed; the caller re-instantiates.
        const int UpdateFailure = 910;
        if (status == UpdateFailure)
        {
            return false;
        }

        _native.Check(status, "cuGraphExecUpdate_v2");
        return true;
    }

    public void Destroy(CudaGraph graph)
    {
        EnsureCurrent();
        _native.Check(_native.GraphDestroy(graph.Handle), "cuGraphDestroy");
    }

    public void Destroy(CudaGraphExec graph)
    {
        EnsureCurrent();
        _native.Check(_native.GraphExecDestroy(graph.Handle), "cuGraphExecDestroy");
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _native.Check(_native.CtxSynchronize(), "cuCtxSynchronize");
        _native.Check(_native.PrimaryCtxRelease(Device.Ordinal), "cuDevicePrimaryCtxRelease_v2");
    }

    private static CudaDeviceInfo ReadDevice(CudaDriverNative native, int ordinal, int device)
    {
        int Attribute(int attribute)
        {
            int value;
            native.Check(native.DeviceGetAttribute(&value, attribute, device), "cuDeviceGetAttribute");
            return value;
        }

        byte* name = stackalloc byte[256];
        native.Check(native.DeviceGetName(name, 256, device), "cuDeviceGetName");
        nuint total;
        native.Check(native.DeviceTotalMem(&total, device), "cuDeviceTotalMem_v2");
        int version;
        native.Check(native.DriverGetVersion(&version), "cuDriverGetVersion");
        return new CudaDeviceInfo(
            ordinal,
            Marshal.PtrToStringUTF8((nint)name) ?? "?",
            Attribute(AttributeComputeMajor),
            Attribute(AttributeComputeMinor),
            Attribute(AttributeMultiprocessors),
            (long)total,
            Attribute(AttributeMaxSharedPerBlock),
            Attribute(AttributeMaxSharedPerBlockOptIn),
            Attribute(AttributeL2CacheSize),
            version);
    }

    private void EnsureCurrent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (s_currentContext != _context)
        {
            _native.Check(_native.CtxSetCurrent(_context), "cuCtxSetCurrent");
            s_currentContext = _context;
        }
    }
}
