using LlmQueue.Gpu.Blas;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;
using LlmQueue.Gpu.Reference;

namespace LlmQueue.Gpu.Checks;

/// <summary>
/// Runs the same launches on the device and on the fake driver (the C# references) over identical inputs, so a check
/// compares kernel with reference on exactly the same bytes. Outputs start poisoned (NaN), so an element a kernel
/// fails to write shows up as an infinite error.
/// </summary>
public sealed unsafe class KernelMirror : IDisposable
{
    private readonly ICudaApi _device;
    private readonly FakeCudaApi _fake;
    private readonly List<Twin> _twins = [];

    public KernelMirror(ICudaApi device, KernelModule deviceModule, IBlasApi deviceBlas, FakeCudaApi fake, KernelModule fakeModule, IBlasApi fakeBlas)
    {
        _device = device;
        _fake = fake;
        DeviceKernels = new KernelLauncher(device, deviceModule);
        ReferenceKernels = new KernelLauncher(fake, fakeModule);
        DeviceBlas = deviceBlas;
        ReferenceBlas = fakeBlas;
    }

    public KernelLauncher DeviceKernels { get; }

    public KernelLauncher ReferenceKernels { get; }

    public IBlasApi DeviceBlas { get; }

    public IBlasApi ReferenceBlas { get; }

    public Twin Upload<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        long bytes = Math.Max(1, values.Length) * (long)sizeof(T);
        var twin = new Twin(_device.Allocate(bytes), _fake.Allocate(bytes), bytes);
        _twins.Add(twin);
        var staging = _device.AllocatePinned(bytes);
        try
        {
            values.CopyTo(new Span<T>((void*)staging, values.Length));
            _device.CopyToDevice(twin.Device, staging, values.Length * (long)sizeof(T), default);
            _device.Synchronize(default(CudaStreamHandle));
        }
        finally
        {
            _device.FreePinned(staging);
        }

        values.CopyTo(_fake.Memory.Span<T>(twin.Reference, values.Length));
        return twin;
    }

    public Twin Filled<T>(long count, T value)
        where T : unmanaged
    {
        var values = new T[count];
        Array.Fill(values, value);
        return Upload<T>(values);
    }

    /// <summary>An output buffer of bf16 NaN.</summary>
    public Twin PoisonedBf16(long count) => Filled<ushort>(count, 0x7FC0);

    /// <summary>An output buffer of f32 NaN.</summary>
    public Twin PoisonedF32(long count) => Filled(count, float.NaN);

    /// <summary>Runs <paramref name="launch"/> on the device (then waits for it) and on the references.</summary>
    public void Run(Action<KernelLauncher, IBlasApi, bool> launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        launch(DeviceKernels, DeviceBlas, true);
        _device.Synchronize(default(CudaStreamHandle));
        launch(ReferenceKernels, ReferenceBlas, false);
    }

    public (T[] Device, T[] Reference) Read<T>(Twin twin, long count)
        where T : unmanaged
    {
        var device = new T[count];
        var staging = _device.AllocatePinned(Math.Max(1, count * sizeof(T)));
        try
        {
            _device.CopyToHost(staging, twin.Device, count * sizeof(T), default);
            _device.Synchronize(default(CudaStreamHandle));
            new ReadOnlySpan<T>((void*)staging, checked((int)count)).CopyTo(device);
        }
        finally
        {
            _device.FreePinned(staging);
        }

        return (device, _fake.Memory.Span<T>(twin.Reference, count).ToArray());
    }

    /// <summary>‖device − reference‖ / ‖reference‖ over a bf16 buffer; NaN or an unwritten element gives +∞.</summary>
    public double Bf16Error(Twin twin, long count)
    {
        var (device, reference) = Read<ushort>(twin, count);
        return RelativeError(device.Select(Float16Bits.Bf16ToSingle).ToArray(), reference.Select(Float16Bits.Bf16ToSingle).ToArray());
    }

    public double F32Error(Twin twin, long count)
    {
        var (device, reference) = Read<float>(twin, count);
        return RelativeError(device, reference);
    }

    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (actual.Length != expected.Length)
        {
            throw new ArgumentException($"Compared {actual.Length} values with {expected.Length}.", nameof(actual));
        }

        double difference = 0;
        double norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (!float.IsFinite(actual[i]) || !float.IsFinite(expected[i]))
            {
                return double.PositiveInfinity;
            }

            double d = (double)actual[i] - expected[i];
            difference += d * d;
            norm += (double)expected[i] * expected[i];
        }

        return norm == 0 ? (difference == 0 ? 0 : double.PositiveInfinity) : Math.Sqrt(difference / norm);
    }

    public void Dispose()
    {
        foreach (var twin in _twins)
        {
            _device.Free(twin.Device);
            _fake.Free(twin.Reference);
        }

        _twins.Clear();
    }
}
