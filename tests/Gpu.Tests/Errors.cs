namespace LlmQueue.Gpu.Tests;

/// <summary>Error measures for comparing against references.</summary>
internal static class Errors
{
    /// <summary>||actual - expected|| / ||expected|| (2-norms); NaN anywhere gives +infinity, so it never passes.</summary>
    public static double Relative(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (!double.IsFinite(actual[i]))
            {
                return double.PositiveInfinity;
            }

            difference += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }

        Assert.True(norm > 0, "the reference is all zeros");
        return Math.Sqrt(difference / norm);
    }

    public static double Relative(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        var wide = new double[expected.Length];
        for (int i = 0; i < wide.Length; i++)
        {
            wide[i] = expected[i];
        }

        return Relative(actual, wide);
    }

    public static float[] FromBf16(ReadOnlySpan<ushort> values)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = Float16Bits.Bf16ToSingle(values[i]);
        }

        return result;
    }
}
