using LlmQueue.Gpu.Kernels;

namespace LlmQueue.Gpu.Reference;

/// <summary>
/// C# twin of attention.cu: block for block of the launch grid, the same head group, partition bounds, 512-key
/// chunks with a running max and sum, and the same outputs (direct, or partials for the reduce).
/// </summary>
internal static class AttentionReference
{
    /// <summary>attention.cu's ATTN_CHUNK.</summary>
    public const int Chunk = 512;

    public static void PagedAttention(KernelInputs inputs, Driver.LaunchDims dims, int headDim)
    {
        int tokens = inputs.I32("tokens");
        int heads = inputs.I32("heads");
        int kvHeads = inputs.I32("kv_heads");
        int numParts = inputs.I32("num_parts");
        int group = heads / kvHeads;
        int splits = KernelLauncher.AttentionGroupSplits(group);
        for (int t = 0; t < Math.Min(dims.GridX, tokens); t++)
        {
            for (int y = 0; y < dims.GridY; y++)
            {
                for (int part = 0; part < dims.GridZ; part++)
                {
                    int kvHead = y / splits;
                    int firstHead = (kvHead * group) + (y % splits * KernelLauncher.AttentionMaxGroup);
                    int count = Math.Min(KernelLauncher.AttentionMaxGroup, (kvHead * group) + group - firstHead);
                    for (int g = 0; g < count; g++)
                    {
                        Head(inputs, headDim, t, kvHead, firstHead + g, part, numParts);
                    }
                }
            }
        }
    }

    public static void Reduce(KernelInputs inputs, Driver.LaunchDims dims)
    {
        int tokens = inputs.I32("tokens");
        int heads = inputs.I32("heads");
        int headDim = inputs.I32("head_dim");
        int numParts = inputs.I32("num_parts");
        for (int t = 0; t < Math.Min(dims.GridX, tokens); t++)
        {
            for (int h = 0; h < Math.Min(dims.GridY, heads); h++)
            {
                long headRow = ((long)t * heads) + h;
                var ml = inputs.Buffer<float>("part_ml", headRow * numParts * 2, numParts * 2L);
                var acc = inputs.Buffer<float>("part_acc", headRow * numParts * headDim, (long)numParts * headDim);
                float max = float.NegativeInfinity;
                for (int p = 0; p < numParts; p++)
                {
                    max = ml[(2 * p) + 1] > 0f ? MathF.Max(max, ml[2 * p]) : max;
                }

                float total = 0f;
                for (int p = 0; p < numParts; p++)
                {
                    total += ml[(2 * p) + 1] > 0f ? ml[(2 * p) + 1] * MathF.Exp(ml[2 * p] - max) : 0f;
                }

                var output = inputs.Buffer<ushort>("out", headRow * headDim, headDim);
                for (int d = 0; d < headDim; d++)
                {
                    float sum = 0f;
                    for (int p = 0; p < numParts; p++)
                    {
                        sum += ml[(2 * p) + 1] > 0f ? acc[(p * headDim) + d] * MathF.Exp(ml[2 * p] - max) : 0f;
                    }

                    output[d] = Float16Bits.SingleToBf16(total > 0f ? sum * (1f / total) : 0f);
                }
            }
        }
    }

    /// <summary>One query head of one token over one partition, as one warp-group of the kernel computes it.</summary>
    private static void Head(KernelInputs inputs, int headDim, int t, int kvHead, int head, int part, int numParts)
    {
        int heads = inputs.I32("heads");
        int kvHeads = inputs.I32("kv_heads");
        int blockTokens = inputs.I32("block_tokens");
        int window = inputs.I32("window");
        float scale = inputs.F32("scale");
        float softcap = inputs.F32("softcap");
        int minPartTokens = inputs.I32("min_part_tokens");
        long pageStride = inputs.I64("page_stride");

        int position = inputs.Buffer<int>("positions", t, 1)[0];
        int context = position + 1;
        int first = window > 0 ? Math.Max(0, context - window) : 0;
        int span = Math.Max(0, context - first);
        int partLength = Math.Max(minPartTokens, (span + numParts - 1) / numParts);
        int start = Math.Min(context, first + (part * partLength));
        int end = position < 0 ? start : Math.Min(start + partLength, context);
        int sequence = inputs.Buffer<int>("token_seq", t, 1)[0];
        int tableStride = inputs.I32("table_stride");
        long headRow = ((long)t * heads) + head;

        var query = new float[headDim];
        var q = inputs.Buffer<ushort>("q", headRow * headDim, headDim);
        for (int d = 0; d < headDim; d++)
        {
            query[d] = Float16Bits.Bf16ToSingle(q[d]);
        }

        var scores = new float[Chunk];
        var acc = new float[headDim];
        float max = float.NegativeInfinity;
        float sum = 0f;
        for (int chunk = start; chunk < end; chunk += Chunk)
        {
            int n = Math.Min(Chunk, end - chunk);
            for (int j = 0; j < n; j++)
            {
                var key = Row(inputs, sequence, tableStride, chunk + j, blockTokens, pageStride, kvHead, headDim, 0);
                float dot = 0f;
                for (int d = 0; d < headDim; d++)
                {
                    dot += Float16Bits.Bf16ToSingle(key[d]) * query[d];
                }

                float s = dot * scale;
                scores[j] = softcap > 0f ? MathF.Tanh(s / softcap) * softcap : s;
            }

            float chunkMax = max;
            for (int j = 0; j < n; j++)
            {
                chunkMax = MathF.Max(chunkMax, scores[j]);
            }

            float chunkSum = 0f;
            for (int j = 0; j < n; j++)
            {
                scores[j] = MathF.Exp(scores[j] - chunkMax);
                chunkSum += scores[j];
            }

            float rescale = MathF.Exp(max - chunkMax);
            sum = (sum * rescale) + chunkSum;
            max = chunkMax;
            for (int d = 0; d < headDim; d++)
            {
                acc[d] *= rescale;
            }

            long valueOffset = (long)kvHeads * blockTokens * headDim;
            for (int j = 0; j < n; j++)
            {
                var value = Row(inputs, sequence, tableStride, chunk + j, blockTokens, pageStride, kvHead, headDim, valueOffset);
                for (int d = 0; d < headDim; d++)
                {
                    acc[d] += scores[j] * Float16Bits.Bf16ToSingle(value[d]);
                }
            }
        }

        bool empty = end <= start;
        if (numParts == 1)
        {
            var output = inputs.Buffer<ushort>("out", headRow * headDim, headDim);
            for (int d = 0; d < headDim; d++)
            {
                output[d] = Float16Bits.SingleToBf16(empty ? 0f : acc[d] * (1f / sum));
            }

            return;
        }

        long partRow = (headRow * numParts) + part;
        var partAcc = inputs.Buffer<float>("part_acc", partRow * headDim, headDim);
        for (int d = 0; d < headDim; d++)
        {
            partAcc[d] = empty ? 0f : acc[d];
        }

        var partMl = inputs.Buffer<float>("part_ml", partRow * 2, 2);
        partMl[0] = empty ? float.NegativeInfinity : max;
        partMl[1] = empty ? 0f : sum;
    }

    /// <summary>Key (offset 0) or value row of key position <paramref name="k"/> through the sequence's block table.</summary>
    private static Span<ushort> Row(KernelInputs inputs, int sequence, int tableStride, int k, int blockTokens, long pageStride, int kvHead, int headDim, long offset)
    {
        int page = inputs.Buffer<int>("block_table", ((long)sequence * tableStride) + (k / blockTokens), 1)[0];
        long at = (page * pageStride) + offset + ((((long)kvHead * blockTokens) + (k % blockTokens)) * headDim);
        return inputs.Buffer<ushort>("kv_layer", at, headDim);
    }
}
