namespace LlmQueue.Models.Weights;

/// <summary>Element types the loader accepts (the safetensors "dtype" strings BF16, F16, F32).</summary>
public enum TensorDType
{
    BF16,
    F16,
    F32,
}
