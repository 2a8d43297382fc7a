using System.Text.Json;

namespace LlmQueue.Models.Weights;

/// <summary>One validated tensor entry of a safetensors header.</summary>
internal readonly record struct SafetensorsHeaderEntry(TensorDType DType, int[] Shape, long Begin, long End)
{
    public static SafetensorsHeaderEntry Parse(string path, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(path, name, "entry must be an object with dtype, shape and data_offsets.");
        }

        var dtype = ParseDType(path, name, value);
        int[] shape = ParseShape(path, name, value);
        (long begin, long end) = ParseOffsets(path, name, value);

        if (end > dataLength)
        {
            throw Fail(path, name, $"data_offsets [{begin}, {end}) run past the end of the data section ({dataLength} bytes).");
        }

        long elements = 1;
        foreach (int dim in shape)
        {
            elements = checked(elements * dim);
        }

        long expectedBytes = checked(elements * dtype.ElementSize());
        if (end - begin != expectedBytes)
        {
            throw Fail(path, name, $"data_offsets cover {end - begin} bytes but {dtype.SafetensorsName()} shape [{string.Join(", ", shape)}] needs {expectedBytes}.");
        }

        return new SafetensorsHeaderEntry(dtype, shape, begin, end);
    }

    private static TensorDType ParseDType(string path, string name, JsonElement value)
    {
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw Fail(path, name, "missing string field 'dtype'.");
        }

        string text = dtypeElement.GetString()!;
        return TensorDTypeInfo.TryParseSafetensorsName(text, out var dtype)
            ? dtype
            : throw Fail(path, name, $"unsupported dtype '{text}' (supported: BF16, F16, F32).");
    }

    private static int[] ParseShape(string path, string name, JsonElement value)
    {
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw Fail(path, name, "missing array field 'shape'.");
        }

        var shape = new int[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt32(out int size) || size < 0)
            {
                throw Fail(path, name, $"shape entry {i} is not a non-negative 32-bit integer.");
            }

            shape[i++] = size;
        }

        return shape;
    }

    private static (long Begin, long End) ParseOffsets(string path, string name, JsonElement value)
    {
        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array
            || offsets.GetArrayLength() != 2)
        {
            throw Fail(path, name, "missing field 'data_offsets' [begin, end].");
        }

        if (offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end) || begin < 0 || end < begin)
        {
            throw Fail(path, name, "data_offsets must be two integers with 0 <= begin <= end.");
        }

        return (begin, end);
    }

    private static ModelLoadException Fail(string path, string name, string problem) =>
        ModelLoadException.For(path, $"tensor '{name}': {problem}");
}
