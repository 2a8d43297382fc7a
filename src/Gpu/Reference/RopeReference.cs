namespace LlmQueue.Gpu.Reference;

/// <summary>C# twin of rope.cu: one pass per (token, q head or kv head) unit of the launch grid.</summary>
internal static class RopeReference
{
    public static void RopeQkvStore(KernelInputs inputs, Driver.LaunchDims dims)
    {
        int tokens = inputs.I32("tokens");
        int heads = inputs.I32("heads");
        int kvHeads = inputs.I32("kv_heads");
        int headDim = inputs.I32("head_dim");
        int blockTokens = inputs.I32("block_tokens");
        long pageStride = inputs.I64("page_stride");
        float eps = inputs.F32("eps");
        bool addOne = inputs.I32("add_one") != 0;
        int width = (heads + (2 * kvHeads)) * headDim;
        int half = headDim / 2;
        var bias = inputs.IsSet("bias") ? inputs.Buffer<float>("bias", 0, width) : default;
        var inverseFrequencies = inputs.Buffer<float>("inv_freq", 0, half);
        var row = new float[headDim];
        int units = Math.Min(dims.GridY * Kernels.KernelLauncher.RopeWarps, heads + kvHeads);
        for (int t = 0; t < Math.Min(dims.GridX, tokens); t++)
        {
            var qkv = inputs.Buffer<float>("qkv", (long)t * width, width);
            float position = inputs.Buffer<int>("positions", t, 1)[0];
            int slot = inputs.Buffer<int>("slot_mapping", t, 1)[0];
            for (int unit = 0; unit < units; unit++)
            {
                bool isQuery = unit < heads;
                if (!isQuery && slot < 0)
                {
                    continue;
                }

                int column = unit * headDim;
                for (int i = 0; i < headDim; i++)
                {
                    row[i] = bias.IsEmpty ? qkv[column + i] : qkv[column + i] + bias[column + i];
                }

                string gainName = isQuery ? "q_gain" : "k_gain";
                if (inputs.IsSet(gainName))
                {
                    var gain = inputs.Buffer<float>(gainName, 0, headDim);
                    float inverse = NormReference.InverseRms(row, headDim, eps);
                    for (int i = 0; i < headDim; i++)
                    {
                        row[i] = row[i] * inverse * NormReference.Gain(gain, i, addOne);
                    }
                }

                int kvHead = unit - heads;
                long keyOffset = ((long)slot / blockTokens * pageStride) + ((((long)kvHead * blockTokens) + (slot % blockTokens)) * headDim);
                var target = isQuery
                    ? inputs.Buffer<ushort>("q_out", ((long)t * heads * headDim) + column, headDim)
                    : inputs.Buffer<ushort>("kv_layer", keyOffset, headDim);
                for (int i = 0; i < half; i++)
                {
                    (float sine, float cosine) = MathF.SinCos(position * inverseFrequencies[i]);
                    float x1 = row[i];
                    float x2 = row[i + half];
                    target[i] = Float16Bits.SingleToBf16((x1 * cosine) - (x2 * sine));
                    target[i + half] = Float16Bits.SingleToBf16((x2 * cosine) + (x1 * sine));
                }

                if (!isQuery)
                {
                    int valueColumn = (heads + kvHeads + kvHead) * headDim;
                    var value = inputs.Buffer<ushort>("kv_layer", keyOffset + ((long)kvHeads * blockTokens * headDim), headDim);
                    for (int i = 0; i < headDim; i++)
                    {
                        value[i] = Float16Bits.SingleToBf16(bias.IsEmpty ? qkv[valueColumn + i] : qkv[valueColumn + i] + bias[valueColumn + i]);
                    }
                }
            }
        }
    }
}
