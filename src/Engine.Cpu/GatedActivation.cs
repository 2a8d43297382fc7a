using System.Numerics.Tensors;
using LlmQueue.Models;

namespace LlmQueue.Engine.Cpu;

/// <summary>The gated MLP's middle: gate = act(gate) * up, vectorised.</summary>
internal static class GatedActivation
{
    // Scratch for GELU's inner term, on the stack: 1 KiB chunks stay in L1 between the passes.
    private const int Chunk = 256;
    private const float GeluBeta = 0.7978845608028654f; // sqrt(2 / pi)
    private const float GeluKappa = 0.044715f;

    /// <param name="up">Overwritten (used as scratch).</param>
    public static void Apply(HiddenActivation activation, Span<float> gate, Span<float> up)
    {
        if (activation == HiddenActivation.GeluTanh)
        {
            GeluTanh(gate, up);
            return;
        }

        // silu(g) * u = g * sigmoid(g) * u
        TensorPrimitives.Multiply(gate, up, up);
        TensorPrimitives.Sigmoid(gate, gate);
        TensorPrimitives.Multiply(gate, up, gate);
    }

    /// <summary>0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) * up, PyTorch's approximate="tanh" GELU.</summary>
    private static void GeluTanh(Span<float> gate, ReadOnlySpan<float> up)
    {
        Span<float> scratch = stackalloc float[Chunk];
        for (int start = 0; start < gate.Length; start += Chunk)
        {
            var x = gate.Slice(start, Math.Min(Chunk, gate.Length - start));
            var inner = scratch[..x.Length];
            TensorPrimitives.Multiply(x, x, inner);
            TensorPrimitives.Multiply(inner, x, inner);
            TensorPrimitives.MultiplyAdd(inner, GeluKappa, x, inner);
            TensorPrimitives.Multiply(inner, GeluBeta, inner);
            TensorPrimitives.Tanh(inner, inner);
            TensorPrimitives.Add(inner, 1f, inner);
            TensorPrimitives.Multiply(inner, x, inner);
            TensorPrimitives.Multiply(inner, 0.5f, inner);
            TensorPrimitives.Multiply(inner, up.Slice(start, x.Length), x);
        }
    }
}
