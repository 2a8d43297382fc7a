using System.Numerics.Tensors;

namespace LlmQueue.Engine.Cpu;

/// <summary>Llama RMSNorm: w * (x * rsqrt(mean(x^2) + eps)), all in f32.</summary>
internal static class RmsNorm
{
    public static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> destination)
    {
        float scale = 1f / MathF.Sqrt((TensorPrimitives.SumOfSquares(x) / x.Length) + eps);
        TensorPrimitives.Multiply(x, scale, destination);
        TensorPrimitives.Multiply(destination, weight, destination);
    }
}
