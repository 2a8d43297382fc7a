using System.Runtime.InteropServices;

namespace LlmQueue.Gpu.Native;

/// <summary>NVRTC (the CUDA C run-time compiler) as unmanaged function pointers; statuses are nvrtcResult.</summary>
internal sealed unsafe class NvrtcNative
{
    /// <summary>Newest first: CUDA 13 and 12 name the major version only; CUDA 11.2+ ships libnvrtc.so.11.2.</summary>
    public static readonly string[] Sonames = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"];

    private NvrtcNative(nint library, string name)
    {
        Name = name;
        nint F(string symbol) => NativeLibraryProbe.Export(library, name, symbol);
        Version = (delegate* unmanaged<int*, int*, int>)F("nvrtcVersion");
        GetErrorString = (delegate* unmanaged<int, byte*>)F("nvrtcGetErrorString");
        GetNumSupportedArchs = (delegate* unmanaged<int*, int>)F("nvrtcGetNumSupportedArchs");
        GetSupportedArchs = (delegate* unmanaged<int*, int>)F("nvrtcGetSupportedArchs");
        CreateProgram = (delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int>)F("nvrtcCreateProgram");
        DestroyProgram = (delegate* unmanaged<nint*, int>)F("nvrtcDestroyProgram");
        CompileProgram = (delegate* unmanaged<nint, int, byte**, int>)F("nvrtcCompileProgram");
        GetPtxSize = (delegate* unmanaged<nint, nuint*, int>)F("nvrtcGetPTXSize");
        GetPtx = (delegate* unmanaged<nint, byte*, int>)F("nvrtcGetPTX");
        GetCubinSize = (delegate* unmanaged<nint, nuint*, int>)F("nvrtcGetCUBINSize");
        GetCubin = (delegate* unmanaged<nint, byte*, int>)F("nvrtcGetCUBIN");
        GetProgramLogSize = (delegate* unmanaged<nint, nuint*, int>)F("nvrtcGetProgramLogSize");
        GetProgramLog = (delegate* unmanaged<nint, byte*, int>)F("nvrtcGetProgramLog");
    }

    public string Name { get; }

    public delegate* unmanaged<int*, int*, int> Version { get; }

    public delegate* unmanaged<int, byte*> GetErrorString { get; }

    public delegate* unmanaged<int*, int> GetNumSupportedArchs { get; }

    public delegate* unmanaged<int*, int> GetSupportedArchs { get; }

    public delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int> CreateProgram { get; }

    public delegate* unmanaged<nint*, int> DestroyProgram { get; }

    public delegate* unmanaged<nint, int, byte**, int> CompileProgram { get; }

    public delegate* unmanaged<nint, nuint*, int> GetPtxSize { get; }

    public delegate* unmanaged<nint, byte*, int> GetPtx { get; }

    public delegate* unmanaged<nint, nuint*, int> GetCubinSize { get; }

    public delegate* unmanaged<nint, byte*, int> GetCubin { get; }

    public delegate* unmanaged<nint, nuint*, int> GetProgramLogSize { get; }

    public delegate* unmanaged<nint, byte*, int> GetProgramLog { get; }

    public static NvrtcNative? TryLoad() =>
        NativeLibraryProbe.TryLoad(Sonames) is { } found ? new NvrtcNative(found.Handle, found.Name) : null;

    public void Check(int status, string call, string? detail = null)
    {
        if (status != 0)
        {
            throw new CudaException(call, status, Marshal.PtrToStringUTF8((nint)GetErrorString(status)) ?? "NVRTC_ERROR", detail);
        }
    }
}
