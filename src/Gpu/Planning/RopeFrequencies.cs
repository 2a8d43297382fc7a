namespace LlmQueue.Gpu.Planning;

/// <summary>
/// Inverse RoPE frequencies of one rotary embedding, in f32 with the operations in the order transformers'
/// modeling_rope_utils performs them (and the CPU runner's RotaryEmbedding), uploaded once; the kernel computes
/// angles as position x frequency in f32.
/// </summary>
public static class RopeFrequencies
{
    public static float[] For(int headDim, RopeSpec rope)
    {
        ArgumentNullException.ThrowIfNull(rope);
        var frequencies = new float[headDim / 2];
        for (int i = 0; i < frequencies.Length; i++)
        {
            float inverse = 1f / MathF.Pow(rope.Theta, 2 * i / (float)headDim);
            frequencies[i] = rope.Scaling switch
            {
                null => inverse,
                { Kind: RopeScalingKind.Linear } s => inverse / s.Factor,
                var s => Llama3(inverse, s),
            };
        }

        return frequencies;
    }

    /// <summary>Llama 3.1: long wavelengths divided by the factor, short ones kept, a smooth ramp between.</summary>
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

        float smooth = ((1f / wavelength * s.OriginalMaxPositionEmbeddings) - s.LowFreqFactor) / (float)((double)s.HighFreqFactor - s.LowFreqFactor);
        return ((1f - smooth) * inverse / s.Factor) + (smooth * inverse);
    }
}
