using LlmQueue.Gpu.Blas;
using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;

namespace LlmQueue.Gpu.Checks;

/// <summary>
/// A backend that times every kernel launch and matrix product issued through it, on the device, with events
/// recorded on the stream before and after each: which kernel or product takes a step's time, and how much of the
/// step the device sits idle between them. For measurement only (graphs off): each event pair costs a little
/// device time of its own. With a gate, every recorded step starts behind a long device-to-device copy, so the
/// host has issued the whole step before the device reaches it: the times are then the device's own, not the
/// host's issue rate (which graphs remove).
/// </summary>
public sealed class OperationProfiler : IGpuBackend, IDisposable
{
    private readonly IGpuBackend _inner;
    private readonly Dictionary<CudaFunction, string> _kernelNames;
    private readonly List<(string Label, long Bytes, CudaEvent Start, CudaEvent End)> _marks = [];

    private readonly long _gateBytes;
    private readonly DevicePointer _gateSource;
    private readonly DevicePointer _gateTarget;

    /// <param name="gateBytes">Bytes of the copy each recorded step waits behind (0: no gate).</param>
    public OperationProfiler(IGpuBackend inner, long gateBytes = 0)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfNegative(gateBytes);
        _inner = inner;
        _gateBytes = gateBytes;
        if (gateBytes > 0)
        {
            _gateSource = inner.Cuda.Allocate(gateBytes);
            _gateTarget = inner.Cuda.Allocate(gateBytes);
        }

        _kernelNames = KernelCatalog.All.ToDictionary(s => inner.Kernels.Function(s), s => s.Name);
        Cuda = new ProfiledCudaApi(inner.Cuda, this);
        Blas = new ProfiledBlasApi(inner.Blas, this);
    }

    public ICudaApi Cuda { get; }

    public IBlasApi Blas { get; }

    public KernelModule Kernels => _inner.Kernels;

    /// <summary>Whether operations are being timed now (off while a model warms up).</summary>
    public bool Recording { get; set; }

    /// <summary>
    /// Waits for the operations recorded since the last call and returns each one's label, the bytes it must move
    /// at least (matrix products; 0 where not counted) and device milliseconds, in issue order, and the span from the
    /// first one's start to the last one's end.
    /// </summary>
    public (IReadOnlyList<(string Label, long Bytes, double Ms)> Operations, double SpanMs) Collect()
    {
        var cuda = _inner.Cuda;
        try
        {
            if (_marks.Count == 0)
            {
                return ([], 0);
            }

            cuda.Synchronize(_marks[^1].End);
            var operations = _marks.Select(m => (m.Label, m.Bytes, (double)cuda.ElapsedMilliseconds(m.Start, m.End))).ToList();
            return (operations, cuda.ElapsedMilliseconds(_marks[0].Start, _marks[^1].End));
        }
        finally
        {
            Forget();
        }
    }

    public void Dispose()
    {
        Forget();
        if (_gateBytes > 0)
        {
            _inner.Cuda.Free(_gateSource);
            _inner.Cuda.Free(_gateTarget);
        }
    }

    internal string KernelName(CudaFunction kernel) => _kernelNames.TryGetValue(kernel, out var name) ? name : "kernel";

    internal void Around(string label, long bytes, CudaStreamHandle stream, Action work)
    {
        if (!Recording)
        {
            work();
            return;
        }

        var cuda = _inner.Cuda;
        if (_marks.Count == 0 && _gateBytes > 0)
        {
            cuda.CopyOnDevice(_gateTarget, _gateSource, _gateBytes, stream);
        }

        var start = cuda.CreateEvent();
        var end = cuda.CreateEvent();
        _marks.Add((label, bytes, start, end));
        cuda.Record(start, stream);
        work();
        cuda.Record(end, stream);
    }

    private void Forget()
    {
        foreach (var (_, _, start, end) in _marks)
        {
            _inner.Cuda.DestroyEvent(start);
            _inner.Cuda.DestroyEvent(end);
        }

        _marks.Clear();
    }
}
