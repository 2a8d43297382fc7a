namespace LlmQueue.Gpu.Driver;

/// <summary>A device address (CUdeviceptr). Zero is the null pointer kernels test for optional inputs.</summary>
public readonly record struct DevicePointer(ulong Address)
{
    public static DevicePointer Null => default;

    public bool IsNull => Address == 0;

    /// <summary>The address <paramref name="bytes"/> further on.</summary>
    public DevicePointer Offset(long bytes) => new(checked((ulong)((long)Address + bytes)));

    public override string ToString() => $"0x{Address:x}";
}

/// <summary>A stream (CUstream); the default value is the legacy default stream.</summary>
public readonly record struct CudaStreamHandle(nint Handle);

public readonly record struct CudaEvent(nint Handle);

public readonly record struct CudaModule(nint Handle);

public readonly record struct CudaFunction(nint Handle);

/// <summary>A captured graph (CUgraph).</summary>
public readonly record struct CudaGraph(nint Handle);

/// <summary>An instantiated, launchable graph (CUgraphExec).</summary>
public readonly record struct CudaGraphExec(nint Handle);
