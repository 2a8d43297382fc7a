using LlmQueue.Models;

namespace LlmQueue.Engine.Runners;

/// <summary>
/// Inverse frequencies of non-interleaved (rotate_half) RoPE, including linear and Llama 3 scaling, computed in f32
/// with the operations in the order transformers' modeling_rope_utils performs them. Every backend takes its
/// angles from here (position x frequency, then sin/cos), so all agree with the checkpoint's reference.
/// </summary>
public static class RotaryFrequencies
{
    /// <summary>headDim / 2 inverse frequencies of <paramref name="rope"/>.</summary>
    public static float[] For(int headDim, RopeSpec rope)
    {
        ArgumentNullException.ThrowIfNull(rope);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        var inverseFrequencies = new float[headDim / 2];
        for (var i = 0; i < inverseFrequencies.Length; i++)
        {
            var inverse = 1f / MathF.Pow(rope.Theta, 2 * i / (float)headDim);
            inverseFrequencies[i] = rope.Scaling switch
            {
                null => inverse,
                { Kind: RopeScalingKind.Linear } s => inverse / s.Factor,
                var s => Llama3(inverse, s),
            };
        }

        return inverseFrequencies;
    }

    /// <summary>
    /// Llama 3.1 scaling of one inverse frequency: wavelengths longer than original/low are divided by
    /// the factor, shorter than original/high kept, and in between interpolated by a smooth factor.
    /// </summary>
    private static float Llama3(float inverse, RopeScaling s)
    {
        var lowFreqWavelength = (float)((double)s.OriginalMaxPositionEmbeddings / s.LowFreqFactor);
        var highFreqWavelength = (float)((double)s.OriginalMaxPositionEmbeddings / s.HighFreqFactor);
        // torch evaluates scalar / tensor as reciprocal(tensor) * scalar.
        var wavelength = 1f / inverse * (float)(2 * Math.PI);
        if (wavelength > lowFreqWavelength)
        {
            return inverse / s.Factor;
        }

        if (wavelength < highFreqWavelength)
        {
            return inverse;
        }

        var smooth = ((1f / wavelength * s.OriginalMaxPositionEmbeddings) - s.LowFreqFactor)
            / (float)((double)s.HighFreqFactor - s.LowFreqFactor);
        return ((1f - smooth) * inverse / s.Factor) + (smooth * inverse);
    }
}
