using LlmQueue.Gpu.Blas;
using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Reference;

/// <summary>
/// Matrix products of the fake driver: bf16 operands widened exactly, products summed in f64 and rounded once to
/// the output type (cuBLAS sums in f32, so the two agree to f32 rounding). Runs in stream order through
/// <see cref="FakeCudaApi.Enqueue"/>, so products are captured into graphs like kernels.
/// </summary>
public sealed class FakeBlas(FakeCudaApi cuda) : IBlasApi
{
    public string Version => "fake (C# reference)";

    public int Products { get; private set; }

    public void Multiply(CudaStreamHandle stream, MatMul product)
    {
        product.Validate();
        Products++;
        cuda.Enqueue(stream, "gemm", () => Compute(cuda.Memory, product));
    }

    public void MultiplyBatched(CudaStreamHandle stream, BatchedMatMul product)
    {
        product.Shape.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(product.Batch);
        Products++;
        cuda.Enqueue(stream, "gemm_batched", () =>
        {
            var shape = product.Shape;
            int outputBytes = shape.Output == BlasElement.Bf16 ? sizeof(ushort) : sizeof(float);
            for (int b = 0; b < product.Batch; b++)
            {
                Compute(cuda.Memory, shape with
                {
                    X = shape.X.Offset(b * product.StrideX * sizeof(ushort)),
                    W = shape.W.Offset(b * product.StrideW * sizeof(ushort)),
                    Y = shape.Y.Offset(b * product.StrideY * outputBytes),
                });
            }
        });
    }

    public void Dispose()
    {
    }

    /// <summary>The product on fake device memory (also the reference of the gemv_bf16 kernel).</summary>
    internal static void Compute(FakeDeviceMemory memory, MatMul product)
    {
        var x = memory.Span<ushort>(product.X, (long)product.M * product.K).ToArray();
        var w = memory.Span<ushort>(product.W, (long)product.N * product.K).ToArray();
        var y = new float[(long)product.M * product.N];
        Parallel.For(0, product.M, m =>
        {
            var row = new float[product.K];
            for (int k = 0; k < product.K; k++)
            {
                row[k] = Float16Bits.Bf16ToSingle(x[((long)m * product.K) + k]);
            }

            for (int n = 0; n < product.N; n++)
            {
                double sum = 0;
                long offset = (long)n * product.K;
                for (int k = 0; k < product.K; k++)
                {
                    sum += (double)row[k] * Float16Bits.Bf16ToSingle(w[offset + k]);
                }

                y[((long)m * product.N) + n] = (float)sum;
            }
        });

        if (product.Output == BlasElement.F32)
        {
            y.CopyTo(memory.Span<float>(product.Y, y.Length));
            return;
        }

        var output = memory.Span<ushort>(product.Y, y.Length);
        for (int i = 0; i < y.Length; i++)
        {
            output[i] = Float16Bits.SingleToBf16(y[i]);
        }
    }
}
