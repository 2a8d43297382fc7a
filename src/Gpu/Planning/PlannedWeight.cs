using System.Runtime.InteropServices;

namespace LlmQueue.Gpu.Planning;

/// <summary>
/// One device tensor of the weight arena: bf16 matrices made of one or more checkpoint tensors back to back (q, k
/// and v rows become one [q + 2 kv, hidden] matrix so one product computes all three), or an f32 vector (norm gains
/// and biases, as the loader widened them). Checkpoint dtypes other than bf16 are rounded to bf16 (nearest even).
/// </summary>
public sealed class PlannedWeight
{
    private readonly TensorView[] _tensors;
    private readonly float[]? _values;

    private PlannedWeight(string name, long offset, TensorView[] tensors, float[]? values)
    {
        Name = name;
        Offset = offset;
        _tensors = tensors;
        _values = values;
        Elements = values?.LongLength ?? tensors.Sum(t => t.ElementCount);
    }

    public string Name { get; }

    /// <summary>Byte offset in the weight arena.</summary>
    public long Offset { get; }

    public long Elements { get; }

    public bool IsMatrix => _values is null;

    public int ElementBytes => IsMatrix ? sizeof(ushort) : sizeof(float);

    public long Bytes => Elements * ElementBytes;

    public static PlannedWeight Matrix(string name, long offset, params TensorView[] tensors) => new(name, offset, tensors, null);

    public static PlannedWeight Vector(string name, long offset, float[] values) => new(name, offset, [], values);

    /// <summary>Writes elements [<paramref name="start"/>, start + n) in device format to <paramref name="destination"/> (n x ElementBytes bytes).</summary>
    public void Fill(long start, Span<byte> destination)
    {
        long count = destination.Length / ElementBytes;
        if (_values is not null)
        {
            MemoryMarshal.AsBytes(_values.AsSpan(checked((int)start), checked((int)count))).CopyTo(destination);
            return;
        }

        var target = MemoryMarshal.Cast<byte, ushort>(destination);
        long at = 0;
        foreach (var tensor in _tensors)
        {
            long from = Math.Max(start, at);
            long to = Math.Min(start + count, at + tensor.ElementCount);
            if (from < to)
            {
                CopyBf16(tensor, from - at, target.Slice((int)(from - start), (int)(to - from)));
            }

            at += tensor.ElementCount;
        }
    }

    private static unsafe void CopyBf16(TensorView tensor, long start, Span<ushort> destination)
    {
        if (tensor.DType == TensorDType.BF16)
        {
            new ReadOnlySpan<ushort>((ushort*)tensor.Data + start, destination.Length).CopyTo(destination);
            return;
        }

        // f16 and f32 go through f32 (exact for both), then round once.
        const int Batch = 4096;
        Span<float> wide = stackalloc float[Batch];
        for (int i = 0; i < destination.Length; i += Batch)
        {
            var slice = wide[..Math.Min(Batch, destination.Length - i)];
            tensor.ReadSingles(start + i, slice);
            for (int j = 0; j < slice.Length; j++)
            {
                destination[i + j] = Float16Bits.SingleToBf16(slice[j]);
            }
        }
    }
}
