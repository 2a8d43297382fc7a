using System.Runtime.InteropServices;

namespace LlmQueue.Gpu.Native;

/// <summary>
/// The CUDA driver API (libcuda.so.1) as unmanaged function pointers resolved once. Every call returns a CUresult;
/// <see cref="Check"/> turns a non-zero one into a <see cref="CudaException"/> naming the call. Versioned entry
/// points (_v2) are the ones the CUDA 11+ headers bind to; a newer driver keeps exporting them.
/// </summary>
internal sealed unsafe class CudaDriverNative
{
    public static readonly string[] Sonames = ["libcuda.so.1", "libcuda.so"];

    private CudaDriverNative(nint library, string name)
    {
        Name = name;
        nint F(params string[] symbols) => NativeLibraryProbe.Export(library, name, symbols);
        Init = (delegate* unmanaged<uint, int>)F("cuInit");
        DriverGetVersion = (delegate* unmanaged<int*, int>)F("cuDriverGetVersion");
        GetErrorName = (delegate* unmanaged<int, byte**, int>)F("cuGetErrorName");
        GetErrorString = (delegate* unmanaged<int, byte**, int>)F("cuGetErrorString");
        DeviceGetCount = (delegate* unmanaged<int*, int>)F("cuDeviceGetCount");
        DeviceGet = (delegate* unmanaged<int*, int, int>)F("cuDeviceGet");
        DeviceGetName = (delegate* unmanaged<byte*, int, int, int>)F("cuDeviceGetName");
        DeviceTotalMem = (delegate* unmanaged<nuint*, int, int>)F("cuDeviceTotalMem_v2");
        DeviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)F("cuDeviceGetAttribute");
        PrimaryCtxRetain = (delegate* unmanaged<nint*, int, int>)F("cuDevicePrimaryCtxRetain");
        PrimaryCtxRelease = (delegate* unmanaged<int, int>)F("cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease");
        CtxSetCurrent = (delegate* unmanaged<nint, int>)F("cuCtxSetCurrent");
        CtxSynchronize = (delegate* unmanaged<int>)F("cuCtxSynchronize");
        MemGetInfo = (delegate* unmanaged<nuint*, nuint*, int>)F("cuMemGetInfo_v2");
        MemAlloc = (delegate* unmanaged<ulong*, nuint, int>)F("cuMemAlloc_v2");
        MemFree = (delegate* unmanaged<ulong, int>)F("cuMemFree_v2");
        MemAllocHost = (delegate* unmanaged<void**, nuint, int>)F("cuMemAllocHost_v2");
        MemFreeHost = (delegate* unmanaged<void*, int>)F("cuMemFreeHost");
        MemcpyHtoDAsync = (delegate* unmanaged<ulong, void*, nuint, nint, int>)F("cuMemcpyHtoDAsync_v2");
        MemcpyDtoHAsync = (delegate* unmanaged<void*, ulong, nuint, nint, int>)F("cuMemcpyDtoHAsync_v2");
        MemcpyDtoDAsync = (delegate* unmanaged<ulong, ulong, nuint, nint, int>)F("cuMemcpyDtoDAsync_v2");
        MemsetD32Async = (delegate* unmanaged<ulong, uint, nuint, nint, int>)F("cuMemsetD32Async");
        ModuleLoadData = (delegate* unmanaged<nint*, void*, int>)F("cuModuleLoadData");
        ModuleUnload = (delegate* unmanaged<nint, int>)F("cuModuleUnload");
        ModuleGetFunction = (delegate* unmanaged<nint*, nint, byte*, int>)F("cuModuleGetFunction");
        FuncGetAttribute = (delegate* unmanaged<int*, int, nint, int>)F("cuFuncGetAttribute");
        LaunchKernel = (delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int>)F("cuLaunchKernel");
        StreamCreate = (delegate* unmanaged<nint*, uint, int>)F("cuStreamCreate");
        StreamDestroy = (delegate* unmanaged<nint, int>)F("cuStreamDestroy_v2");
        StreamSynchronize = (delegate* unmanaged<nint, int>)F("cuStreamSynchronize");
        EventCreate = (delegate* unmanaged<nint*, uint, int>)F("cuEventCreate");
        EventRecord = (delegate* unmanaged<nint, nint, int>)F("cuEventRecord");
        EventSynchronize = (delegate* unmanaged<nint, int>)F("cuEventSynchronize");
        EventElapsedTime = (delegate* unmanaged<float*, nint, nint, int>)F("cuEventElapsedTime_v2", "cuEventElapsedTime");
        EventDestroy = (delegate* unmanaged<nint, int>)F("cuEventDestroy_v2");
        StreamBeginCapture = (delegate* unmanaged<nint, int, int>)F("cuStreamBeginCapture_v2");
        StreamEndCapture = (delegate* unmanaged<nint, nint*, int>)F("cuStreamEndCapture");
        GraphInstantiate = (delegate* unmanaged<nint*, nint, ulong, int>)F("cuGraphInstantiateWithFlags");
        GraphLaunch = (delegate* unmanaged<nint, nint, int>)F("cuGraphLaunch");
        GraphExecUpdate = (delegate* unmanaged<nint, nint, GraphExecUpdateResultInfo*, int>)F("cuGraphExecUpdate_v2");
        GraphDestroy = (delegate* unmanaged<nint, int>)F("cuGraphDestroy");
        GraphExecDestroy = (delegate* unmanaged<nint, int>)F("cuGraphExecDestroy");
    }

    public string Name { get; }

    public delegate* unmanaged<uint, int> Init { get; }

    public delegate* unmanaged<int*, int> DriverGetVersion { get; }

    public delegate* unmanaged<int, byte**, int> GetErrorName { get; }

    public delegate* unmanaged<int, byte**, int> GetErrorString { get; }

    public delegate* unmanaged<int*, int> DeviceGetCount { get; }

    public delegate* unmanaged<int*, int, int> DeviceGet { get; }

    public delegate* unmanaged<byte*, int, int, int> DeviceGetName { get; }

    public delegate* unmanaged<nuint*, int, int> DeviceTotalMem { get; }

    public delegate* unmanaged<int*, int, int, int> DeviceGetAttribute { get; }

    public delegate* unmanaged<nint*, int, int> PrimaryCtxRetain { get; }

    public delegate* unmanaged<int, int> PrimaryCtxRelease { get; }

    public delegate* unmanaged<nint, int> CtxSetCurrent { get; }

    public delegate* unmanaged<int> CtxSynchronize { get; }

    public delegate* unmanaged<nuint*, nuint*, int> MemGetInfo { get; }

    public delegate* unmanaged<ulong*, nuint, int> MemAlloc { get; }

    public delegate* unmanaged<ulong, int> MemFree { get; }

    public delegate* unmanaged<void**, nuint, int> MemAllocHost { get; }

    public delegate* unmanaged<void*, int> MemFreeHost { get; }

    public delegate* unmanaged<ulong, void*, nuint, nint, int> MemcpyHtoDAsync { get; }

    public delegate* unmanaged<void*, ulong, nuint, nint, int> MemcpyDtoHAsync { get; }

    public delegate* unmanaged<ulong, ulong, nuint, nint, int> MemcpyDtoDAsync { get; }

    public delegate* unmanaged<ulong, uint, nuint, nint, int> MemsetD32Async { get; }

    public delegate* unmanaged<nint*, void*, int> ModuleLoadData { get; }

    public delegate* unmanaged<nint, int> ModuleUnload { get; }

    public delegate* unmanaged<nint*, nint, byte*, int> ModuleGetFunction { get; }

    public delegate* unmanaged<int*, int, nint, int> FuncGetAttribute { get; }

    public delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int> LaunchKernel { get; }

    public delegate* unmanaged<nint*, uint, int> StreamCreate { get; }

    public delegate* unmanaged<nint, int> StreamDestroy { get; }

    public delegate* unmanaged<nint, int> StreamSynchronize { get; }

    public delegate* unmanaged<nint*, uint, int> EventCreate { get; }

    public delegate* unmanaged<nint, nint, int> EventRecord { get; }

    public delegate* unmanaged<nint, int> EventSynchronize { get; }

    public delegate* unmanaged<float*, nint, nint, int> EventElapsedTime { get; }

    public delegate* unmanaged<nint, int> EventDestroy { get; }

    public delegate* unmanaged<nint, int, int> StreamBeginCapture { get; }

    public delegate* unmanaged<nint, nint*, int> StreamEndCapture { get; }

    public delegate* unmanaged<nint*, nint, ulong, int> GraphInstantiate { get; }

    public delegate* unmanaged<nint, nint, int> GraphLaunch { get; }

    public delegate* unmanaged<nint, nint, GraphExecUpdateResultInfo*, int> GraphExecUpdate { get; }

    public delegate* unmanaged<nint, int> GraphDestroy { get; }

    public delegate* unmanaged<nint, int> GraphExecDestroy { get; }

    /// <summary>Loads libcuda, or returns null with the reason (no driver installed).</summary>
    public static CudaDriverNative? TryLoad(out string reason)
    {
        var library = NativeLibraryProbe.TryLoad(Sonames);
        if (library is not { } found)
        {
            reason = $"no CUDA driver library ({string.Join(", ", Sonames)}) could be loaded";
            return null;
        }

        reason = "";
        return new CudaDriverNative(found.Handle, found.Name);
    }

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> when status is not CUDA_SUCCESS.</summary>
    public void Check(int status, string call)
    {
        if (status != 0)
        {
            throw new CudaException(call, status, ErrorName(status), ErrorText(status));
        }
    }

    public string ErrorName(int status) => Describe(GetErrorName, status) ?? "CUDA_ERROR_UNKNOWN_CODE";

    private string? ErrorText(int status) => Describe(GetErrorString, status);

    private static string? Describe(delegate* unmanaged<int, byte**, int> describe, int status)
    {
        byte* text = null;
        return describe(status, &text) == 0 && text != null ? Marshal.PtrToStringUTF8((nint)text) : null;
    }
}

/// <summary>CUgraphExecUpdateResultInfo: the result code and the nodes that blocked an in-place update.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GraphExecUpdateResultInfo
{
    public int Result;
    public nint ErrorNode;
    public nint ErrorFromNode;
}
