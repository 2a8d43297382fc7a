using System.Runtime.CompilerServices;
using LlmQueue.Engine.Runners;
using LlmQueue.Models;

namespace LlmQueue.Engine.Cpu;

/// <summary>Non-interleaved (rotate_half) RoPE over the shared <see cref="RotaryFrequencies"/>.</summary>
internal sealed class RotaryEmbedding
{
    private readonly float[] _inverseFrequencies;

    public RotaryEmbedding(int headDim, RopeSpec rope) => _inverseFrequencies = RotaryFrequencies.For(headDim, rope);

    public int Half => _inverseFrequencies.Length;

    /// <summary>Fills cos/sin (Half floats each) for one position.</summary>
    public void Angles(int position, Span<float> cos, Span<float> sin)
    {
        for (int i = 0; i < _inverseFrequencies.Length; i++)
        {
            (sin[i], cos[i]) = MathF.SinCos(position * _inverseFrequencies[i]);
        }
    }

    /// <summary>Rotates every head of <paramref name="heads"/> ([count * headDim]) in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first step; skip tier-0
    public static void Apply(Span<float> heads, int headDim, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        int half = headDim / 2;
        for (int start = 0; start < heads.Length; start += headDim)
        {
            var head = heads.Slice(start, headDim);
            for (int i = 0; i < half; i++)
            {
                float x1 = head[i];
                float x2 = head[i + half];
                head[i] = (x1 * cos[i]) - (x2 * sin[i]);
                head[i + half] = (x2 * cos[i]) + (x1 * sin[i]);
            }
        }
    }
}
