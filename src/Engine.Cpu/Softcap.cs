using System.Numerics.Tensors;

namespace LlmQueue.Engine.Cpu;

/// <summary>Gemma's tanh soft-capping: x = tanh(x / cap) * cap, in the order transformers applies it.</summary>
internal static class Softcap
{
    public static void Apply(Span<float> values, float cap)
    {
        TensorPrimitives.Divide(values, cap, values);
        TensorPrimitives.Tanh(values, values);
        TensorPrimitives.Multiply(values, cap, values);
    }
}
