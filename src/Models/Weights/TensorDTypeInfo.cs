namespace LlmQueue.Models.Weights;

/// <summary>Size and name mapping for <see cref="TensorDType"/>.</summary>
public static class TensorDTypeInfo
{
    public static int ElementSize(this TensorDType dtype) => dtype switch
    {
        TensorDType.BF16 or TensorDType.F16 => 2,
        TensorDType.F32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>The safetensors spelling ("BF16", "F16", "F32").</summary>
    public static string SafetensorsName(this TensorDType dtype) => dtype.ToString();

    public static bool TryParseSafetensorsName(string name, out TensorDType dtype)
    {
        switch (name)
        {
            case "BF16": dtype = TensorDType.BF16; return true;
            case "F16": dtype = TensorDType.F16; return true;
            case "F32": dtype = TensorDType.F32; return true;
            default: dtype = default; return false;
        }
    }
}
