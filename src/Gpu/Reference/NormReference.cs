namespace LlmQueue.Gpu.Reference;

/// <summary>C# twins of norm.cu: the same rows, the same f32 steps (sums run sequentially rather than as a tree).</summary>
internal static class NormReference
{
    public static void RmsNorm(KernelInputs inputs, Driver.LaunchDims dims)
    {
        int rows = inputs.I32("n_rows");
        int width = inputs.I32("width");
        float eps = inputs.F32("eps");
        bool addOne = inputs.I32("add_one") != 0;
        var gain = inputs.Buffer<float>("gain", 0, width);
        for (int r = 0; r < Math.Min(dims.GridX, rows); r++)
        {
            int source = inputs.IsSet("rows") ? inputs.Buffer<int>("rows", r, 1)[0] : r;
            var x = inputs.Buffer<float>("x", (long)source * width, width);
            float inverse = InverseRms(x, width, eps);
            var output = inputs.Buffer<ushort>("out", (long)r * width, width);
            for (int i = 0; i < width; i++)
            {
                output[i] = Float16Bits.SingleToBf16(x[i] * inverse * Gain(gain, i, addOne));
            }
        }
    }

    public static void AddRmsNorm(KernelInputs inputs, Driver.LaunchDims dims)
    {
        int rows = inputs.I32("n_rows");
        int width = inputs.I32("width");
        float eps = inputs.F32("eps");
        bool addOne = inputs.I32("add_one") != 0;
        var bias = inputs.IsSet("delta_bias") ? inputs.Buffer<float>("delta_bias", 0, width) : default;
        var deltaGain = inputs.IsSet("delta_gain") ? inputs.Buffer<float>("delta_gain", 0, width) : default;
        var gain = inputs.IsSet("gain") ? inputs.Buffer<float>("gain", 0, width) : default;
        var delta = new float[width];
        for (int r = 0; r < Math.Min(dims.GridX, rows); r++)
        {
            var hidden = inputs.Buffer<float>("hidden", (long)r * width, width);
            var source = inputs.Buffer<float>("delta", (long)r * width, width);
            for (int i = 0; i < width; i++)
            {
                delta[i] = bias.IsEmpty ? source[i] : source[i] + bias[i];
            }

            if (!deltaGain.IsEmpty)
            {
                float deltaInverse = InverseRms(delta, width, eps);
                for (int i = 0; i < width; i++)
                {
                    delta[i] = delta[i] * deltaInverse * Gain(deltaGain, i, addOne);
                }
            }

            for (int i = 0; i < width; i++)
            {
                hidden[i] += delta[i];
            }

            if (gain.IsEmpty)
            {
                continue;
            }

            float inverse = InverseRms(hidden, width, eps);
            var output = inputs.Buffer<ushort>("out", (long)r * width, width);
            for (int i = 0; i < width; i++)
            {
                output[i] = Float16Bits.SingleToBf16(hidden[i] * inverse * Gain(gain, i, addOne));
            }
        }
    }

    /// <summary>rsqrt(mean(x^2) + eps) of the first <paramref name="width"/> values, f32.</summary>
    public static float InverseRms(ReadOnlySpan<float> x, int width, float eps)
    {
        float squares = 0f;
        for (int i = 0; i < width; i++)
        {
            squares += x[i] * x[i];
        }

        return 1f / MathF.Sqrt((squares / width) + eps);
    }

    public static float Gain(ReadOnlySpan<float> gain, int i, bool addOne) => addOne ? 1f + gain[i] : gain[i];
}
