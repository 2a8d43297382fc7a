using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Blas;

/// <summary>
/// Y[M, N] = X[M, K] · W[N, K]^T, all row-major: activations times a weight stored [out, in] as checkpoints store
/// it. X and W are bf16; Y is <see cref="Output"/>; products accumulate in f32.
/// </summary>
public readonly record struct MatMul(DevicePointer X, DevicePointer W, DevicePointer Y, BlasElement Output, int M, int N, int K)
{
    public void Validate()
    {
        if (M <= 0 || N <= 0 || K <= 0 || X.IsNull || W.IsNull || Y.IsNull)
        {
            throw new ArgumentException($"Matrix product {M}x{N}x{K} needs positive sizes and non-null operands.");
        }
    }
}

/// <summary><see cref="MatMul"/> repeated <see cref="Batch"/> times, operand i at base + i x stride (elements).</summary>
public readonly record struct BatchedMatMul(MatMul Shape, long StrideX, long StrideW, long StrideY, int Batch);
