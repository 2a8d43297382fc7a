namespace LlmQueue.Models.Weights;

/// <summary>
/// Read-only view of one tensor inside a memory-mapped safetensors file. Valid while the owning
/// <see cref="WeightStore"/> (or <see cref="SafetensorsFile"/>) is alive.
/// </summary>
public readonly unsafe struct TensorView
{
    private readonly int[] _shape;

    internal TensorView(string name, string sourceFile, TensorDType dtype, int[] shape, byte* data, long byteLength)
    {
        Name = name;
        SourceFile = sourceFile;
        DType = dtype;
        _shape = shape;
        Data = data;
        ByteLength = byteLength;
    }

    public string Name { get; }

    /// <summary>Path of the file the tensor lives in (for error messages).</summary>
    public string SourceFile { get; }

    public TensorDType DType { get; }

    public IReadOnlyList<int> Shape => _shape;

    /// <summary>First byte of the tensor's data inside the mapping.</summary>
    public byte* Data { get; }

    public long ByteLength { get; }

    public long ElementCount => ByteLength / DType.ElementSize();

    /// <summary>Size of the last dimension (the "in" features of an [out, in] weight).</summary>
    public int RowLength => _shape.Length == 0 ? 1 : _shape[^1];

    public string ShapeText => "[" + string.Join(", ", _shape) + "]";

    /// <summary>Widens elements [start, start + destination.Length) to f32.</summary>
    public void ReadSingles(long start, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        if (start + destination.Length > ElementCount)
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"Tensor '{Name}' has {ElementCount} elements.");
        }

        switch (DType)
        {
            case TensorDType.F32:
                new ReadOnlySpan<float>((float*)Data + start, destination.Length).CopyTo(destination);
                break;
            case TensorDType.BF16:
                WidenHalfWords((ushort*)Data + start, destination, &Float16Bits.Bf16ToSingle);
                break;
            case TensorDType.F16:
                WidenHalfWords((ushort*)Data + start, destination, &Float16Bits.F16ToSingle);
                break;
            default:
                throw new InvalidOperationException($"Unsupported dtype {DType}.");
        }
    }

    /// <summary>Copies row <paramref name="row"/> of a 2-D tensor to f32.</summary>
    public void ReadRow(int row, Span<float> destination) => ReadSingles((long)row * RowLength, destination);

    /// <summary>The whole tensor as f32 (for small tensors such as norm weights).</summary>
    public float[] ToSingleArray()
    {
        var result = new float[checked((int)ElementCount)];
        ReadSingles(0, result);
        return result;
    }

    private static void WidenHalfWords(ushort* source, Span<float> destination, delegate*<ushort, float> widen)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = widen(source[i]);
        }
    }
}
