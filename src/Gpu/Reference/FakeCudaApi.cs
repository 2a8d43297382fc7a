using System.Diagnostics;
using System.Runtime.InteropServices;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Native;

namespace LlmQueue.Gpu.Reference;

/// <summary>
/// A driver with no GPU behind it: memory is host memory (bounds-checked on every access), and each kernel launch
/// runs the kernel's C# reference by name. Work runs when it is enqueued (stream order is program order), except
/// on a stream being captured, where it is recorded into a graph that replays it on each launch, reading the
/// buffers as they are then: the same semantics a CUDA graph over persistent buffers has.
/// </summary>
public sealed unsafe class FakeCudaApi : ICudaApi
{
    private readonly Dictionary<nint, string> _functions = [];
    private readonly Dictionary<nint, List<Operation>> _captures = [];
    private readonly Dictionary<nint, List<Operation>> _graphs = [];
    private readonly Dictionary<nint, List<Operation>> _executables = [];
    private readonly Dictionary<nint, long> _events = [];
    private readonly HashSet<nint> _pinned = [];
    private nint _nextHandle = 1;

    /// <param name="device">What the fake reports; by default an sm_90 device with 80 GiB.</param>
    public FakeCudaApi(CudaDeviceInfo? device = null)
    {
        Device = device ?? new CudaDeviceInfo(0, "fake (C# reference kernels)", 9, 0, 132, 80L << 30, 48 << 10, 227 << 10, 50 << 20, 12080);
    }

    public CudaDeviceInfo Device { get; }

    public FakeDeviceMemory Memory { get; } = new();

    /// <summary>Kernel launches run directly (not through a graph), by kernel name.</summary>
    public Dictionary<string, int> DirectLaunches { get; } = new(StringComparer.Ordinal);

    /// <summary>Operations run by graph replays.</summary>
    public int ReplayedOperations { get; private set; }

    public DevicePointer Allocate(long bytes)
    {
        if (Memory.AllocatedBytes + bytes > Device.TotalMemoryBytes)
        {
            throw new CudaException("cuMemAlloc_v2", 2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory");
        }

        return Memory.Allocate(bytes);
    }

    public void Free(DevicePointer buffer) => Memory.Free(buffer);

    public (long Free, long Total) MemoryInfo() => (Device.TotalMemoryBytes - Memory.AllocatedBytes, Device.TotalMemoryBytes);

    public nint AllocatePinned(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        var host = (nint)NativeMemory.AllocZeroed((nuint)bytes);
        _pinned.Add(host);
        return host;
    }

    public void FreePinned(nint host)
    {
        if (!_pinned.Remove(host))
        {
            throw new InvalidOperationException($"FreePinned of 0x{host:x}, which AllocatePinned did not return.");
        }

        NativeMemory.Free((void*)host);
    }

    public void CopyToDevice(DevicePointer destination, nint source, long bytes, CudaStreamHandle stream) =>
        Enqueue(stream, "copy_h2d", () => new ReadOnlySpan<byte>((void*)source, checked((int)bytes)).CopyTo(Memory.Span<byte>(destination, bytes)));

    public void CopyToHost(nint destination, DevicePointer source, long bytes, CudaStreamHandle stream) =>
        Enqueue(stream, "copy_d2h", () => Memory.Span<byte>(source, bytes).CopyTo(new Span<byte>((void*)destination, checked((int)bytes))));

    public void CopyOnDevice(DevicePointer destination, DevicePointer source, long bytes, CudaStreamHandle stream) =>
        Enqueue(stream, "copy_d2d", () => Memory.Span<byte>(source, bytes).CopyTo(Memory.Span<byte>(destination, bytes)));

    public void Fill32(DevicePointer destination, uint value, long count, CudaStreamHandle stream) =>
        Enqueue(stream, "fill32", () => Memory.Span<uint>(destination, count).Fill(value));

    /// <summary>Accepts any image: the kernels it "contains" are the references.</summary>
    public CudaModule LoadModule(byte[] image) => new(_nextHandle++);

    public void UnloadModule(CudaModule kernelModule)
    {
    }

    public CudaFunction GetFunction(CudaModule kernelModule, string name)
    {
        if (!ReferenceKernels.Has(name))
        {
            throw new CudaException($"cuModuleGetFunction({name})", 500, "CUDA_ERROR_NOT_FOUND");
        }

        var handle = _nextHandle++;
        _functions[handle] = name;
        return new CudaFunction(handle);
    }

    public FunctionAttributes GetAttributes(CudaFunction kernel) => new(0, 0, 0, 1024, 90);

    public void Launch(CudaFunction kernel, LaunchDims dims, CudaStreamHandle stream, KernelArguments arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        string name = _functions[kernel.Handle];
        if (!string.Equals(name, arguments.Signature.Name, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Launch of {name} with arguments built for {arguments.Signature.Name}.");
        }

        arguments.EnsureComplete();
        dims.Validate(name);
        var recorded = arguments.Clone();
        if (!_captures.ContainsKey(stream.Handle))
        {
            DirectLaunches[name] = DirectLaunches.GetValueOrDefault(name) + 1;
        }

        Enqueue(stream, name, () =>
        {
            try
            {
                ReferenceKernels.Run(Memory, dims, recorded);
            }
            catch (FakeMemoryAccessException error)
            {
                throw new FakeMemoryAccessException($"{name}: {error.Message}", error);
            }
        });
    }

    public CudaStreamHandle CreateStream() => new(_nextHandle++);

    public void DestroyStream(CudaStreamHandle stream)
    {
    }

    public void Synchronize(CudaStreamHandle stream)
    {
        if (_captures.ContainsKey(stream.Handle))
        {
            throw new CudaException("cuStreamSynchronize", 900, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED");
        }
    }

    public CudaEvent CreateEvent()
    {
        var handle = _nextHandle++;
        _events[handle] = 0;
        return new CudaEvent(handle);
    }

    public void Record(CudaEvent cudaEvent, CudaStreamHandle stream) => _events[cudaEvent.Handle] = Stopwatch.GetTimestamp();

    public void Synchronize(CudaEvent cudaEvent)
    {
    }

    public float ElapsedMilliseconds(CudaEvent started, CudaEvent finished) =>
        (float)Stopwatch.GetElapsedTime(_events[started.Handle], _events[finished.Handle]).TotalMilliseconds;

    public void DestroyEvent(CudaEvent cudaEvent) => _events.Remove(cudaEvent.Handle);

    public void BeginCapture(CudaStreamHandle stream)
    {
        if (!_captures.TryAdd(stream.Handle, []))
        {
            throw new CudaException("cuStreamBeginCapture_v2", 900, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", "the stream is already capturing");
        }
    }

    public CudaGraph EndCapture(CudaStreamHandle stream)
    {
        if (!_captures.Remove(stream.Handle, out var operations))
        {
            throw new CudaException("cuStreamEndCapture", 901, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED", "the stream is not capturing");
        }

        var handle = _nextHandle++;
        _graphs[handle] = operations;
        return new CudaGraph(handle);
    }

    public CudaGraphExec Instantiate(CudaGraph graph)
    {
        var handle = _nextHandle++;
        _executables[handle] = [.. _graphs[graph.Handle]];
        return new CudaGraphExec(handle);
    }

    public void Launch(CudaGraphExec graph, CudaStreamHandle stream)
    {
        foreach (var operation in _executables[graph.Handle])
        {
            Enqueue(stream, operation.Name, operation.Run);
            ReplayedOperations++;
        }
    }

    public bool TryUpdate(CudaGraphExec graph, CudaGraph from)
    {
        var current = _executables[graph.Handle];
        var update = _graphs[from.Handle];
        if (current.Count != update.Count || current.Zip(update).Any(p => p.First.Name != p.Second.Name))
        {
            return false;
        }

        _executables[graph.Handle] = [.. update];
        return true;
    }

    public void Destroy(CudaGraph graph) => _graphs.Remove(graph.Handle);

    public void Destroy(CudaGraphExec graph) => _executables.Remove(graph.Handle);

    /// <summary>Runs <paramref name="work"/> now, or records it when <paramref name="stream"/> is being captured.</summary>
    public void Enqueue(CudaStreamHandle stream, string name, Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (_captures.TryGetValue(stream.Handle, out var capture))
        {
            capture.Add(new Operation(name, work));
            return;
        }

        work();
    }

    public void Dispose()
    {
        foreach (var host in _pinned)
        {
            NativeMemory.Free((void*)host);
        }

        _pinned.Clear();
        Memory.Dispose();
    }

    private sealed record Operation(string Name, Action Run);
}
