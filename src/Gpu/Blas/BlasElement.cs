namespace LlmQueue.Gpu.Blas;

/// <summary>Element types of matrix products: bf16 operands, bf16 or f32 results.</summary>
public enum BlasElement
{
    Bf16,
    F32,
}
