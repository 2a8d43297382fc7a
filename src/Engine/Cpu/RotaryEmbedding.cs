using System.Runtime.CompilerServices;
using LlmQueue.Models;

namespace LlmQueue.Engine.Cpu;

/// <summary>
/// Non-interleaved (rotate_half) RoPE. Inverse frequencies, including linear and Llama 3 scaling, are
/// computed in f32 with the operations in the order transformers' modeling_rope_utils performs them.
/// </summary>
internal sealed class RotaryEmbedding
{
    private readonly float[] _inverseFrequencies;

    public RotaryEmbedding(int headDim, RopeSpec rope)
    {
        ArgumentNullException.ThrowIfNull(rope);
        _inverseFrequencies = new float[headDim / 2];
        for (int i = 0; i < _inverseFrequencies.Length; i++)
        {
            float inverse = 1f / MathF.Pow(rope.Theta, 2 * i / (float)headDim);
            _inverseFrequencies[i] = rope.Scaling switch
            {
                null => inverse,
                { Kind: RopeScalingKind.Linear } s => inverse / s.Factor,
                var s => Llama3(inverse, s),
            };
        }
    }

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

    /// <summary>
    /// Llama 3.1 scaling of one inverse frequency: wavelengths longer than original/low are divided by
    /// the factor, shorter than original/high kept, and in between interpolated by a smooth factor.
    /// </summary>
    private static float Llama3(float inverse, RopeScaling s)
    {
        float lowFreqWavelength = (float)((double)s.OriginalMaxPositionEmbeddings / s.LowFreqFactor);
        float highFreqWavelength = (float)((double)s.OriginalMaxPositionEmbeddings / s.HighFreqFactor);
        // torch evaluates scalar / tensor as reciprocal(tensor) * scalar.
        float wavelength = 1f / inverse * (float)(2 * Math.PI);
        if (wavelength > lowFreqWavelength)
        {
            return inverse / s.Factor;
        }

        if (wavelength < highFreqWavelength)
        {
            return inverse;
        }

        float smooth = ((1f / wavelength * s.OriginalMaxPositionEmbeddings) - s.LowFreqFactor)
            / (float)((double)s.HighFreqFactor - s.LowFreqFactor);
        return ((1f - smooth) * inverse / s.Factor) + (smooth * inverse);
    }
}
