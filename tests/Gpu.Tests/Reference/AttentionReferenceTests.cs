using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;

namespace LlmQueue.Gpu.Tests.Reference;

/// <summary>
/// The paged attention kernel's C# twin (what the fake driver runs and the GPU check compares the kernel with)
/// against dense fp64 attention over the same bf16 keys and values, kept in plain arrays: ragged batches mixing a
/// long decode (past one 512-key chunk), prefill chunks and padding, GQA groups of 1 to 16, sliding windows,
/// softcaps, 1 to 8 partitions, and two layer types in one KV arena. Pages no table points at hold NaN, and blocks
/// before a window are -1, so a read of either fails the test.
/// </summary>
public class AttentionReferenceTests
{
    public static TheoryData<int, int, int, int, int, double, int> Cases() => new()
    {
        // headDim, heads, kvHeads, blockTokens, window, softcap, parts
        { 64, 4, 4, 16, 0, 0, 1 },
        { 64, 32, 8, 16, 0, 0, 4 },
        { 128, 16, 2, 4, 40, 0, 3 },
        { 128, 8, 1, 16, 0, 20, 8 },
        { 256, 4, 1, 16, 96, 50, 2 },
        { 256, 8, 4, 8, 0, 0, 1 },
        { 16, 16, 1, 4, 9, 2, 5 },
        { 32, 6, 3, 4, 0, 0, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Paged_attention_matches_dense_fp64_attention(int headDim, int heads, int kvHeads, int blockTokens, int window, double softcap, int parts)
    {
        var random = new Random((headDim * 7919) + (heads * 31) + parts + window);
        // Layer 0 full, layer 1 sliding (or also full): the two types interleave in the arena; the sliding one is attended.
        var layout = KvPoolLayout.FromLayers(
            [new KvLayerSpec(kvHeads, headDim, 2), new KvLayerSpec(kvHeads, headDim, 2, window > 0 ? window : null), new KvLayerSpec(kvHeads, headDim, 2, window > 0 ? window : null)],
            blockTokens);
        const int layer = 1;
        int type = layout.TypeOfLayer(layer);
        // (start position, chunk length) per sequence: a long decode, prefill chunks, a first chunk.
        (int Start, int Length)[] chunks = [(700, 1), (37, 6), (0, 3), (511, 2)];
        int contextMax = chunks.Max(c => c.Start + c.Length);
        int maxBlocks = (contextMax + blockTokens - 1) / blockTokens;
        int largePages = ((chunks.Length * maxBlocks) / layout.SmallPagesPerLargePage(type)) + 4;
        int pages = largePages * layout.SmallPagesPerLargePage(type);
        using var gpu = new FakeGpu();
        var cuda = gpu.Cuda;
        long arenaElements = largePages * layout.LargePageBytes / 2;
        var arena = cuda.Upload<ushort>(Enumerable.Repeat((ushort)0x7FC0, (int)arenaElements).ToArray()); // bf16 NaN everywhere

        var order = Enumerable.Range(0, pages).ToArray();
        random.Shuffle(order);
        var tables = new int[chunks.Length, maxBlocks];
        var keys = new float[chunks.Length][][];
        var values = new float[chunks.Length][][];
        long pageStride = layout.SmallPageBytes(type) / 2;
        long layerOffset = layout.LayerBlockOffset(layer, 0) / 2;
        var memory = cuda.Memory.Span<ushort>(arena, arenaElements);
        int nextPage = 0;
        for (int s = 0; s < chunks.Length; s++)
        {
            int context = chunks[s].Start + chunks[s].Length;
            int firstNeeded = layout.Types[type].FirstNeededBlock(chunks[s].Start, blockTokens);
            keys[s] = new float[context][];
            values[s] = new float[context][];
            for (int b = 0; b < maxBlocks; b++)
            {
                tables[s, b] = b < firstNeeded || b * blockTokens >= context ? -1 : order[nextPage++];
            }

            for (int p = 0; p < context; p++)
            {
                keys[s][p] = Rounded(random, kvHeads * headDim, 1.0);
                values[s][p] = Rounded(random, kvHeads * headDim, 1.0);
                int page = tables[s, p / blockTokens];
                if (page < 0)
                {
                    continue; // released: nothing stored, nothing may be read
                }

                for (int h = 0; h < kvHeads; h++)
                {
                    long at = layerOffset + (page * pageStride) + (((long)(h * blockTokens) + (p % blockTokens)) * headDim);
                    long valueAt = at + ((long)kvHeads * blockTokens * headDim);
                    for (int d = 0; d < headDim; d++)
                    {
                        memory[(int)(at + d)] = Float16Bits.SingleToBf16(keys[s][p][(h * headDim) + d]);
                        memory[(int)(valueAt + d)] = Float16Bits.SingleToBf16(values[s][p][(h * headDim) + d]);
                    }
                }
            }
        }

        // Tokens: every chunk's positions, then one padding token.
        var tokenSeq = new List<int>();
        var positions = new List<int>();
        for (int s = 0; s < chunks.Length; s++)
        {
            for (int i = 0; i < chunks[s].Length; i++)
            {
                tokenSeq.Add(s);
                positions.Add(chunks[s].Start + i);
            }
        }

        tokenSeq.Add(0);
        positions.Add(-1);
        int tokens = positions.Count;
        var queries = Rounded(random, tokens * heads * headDim, 1.0);
        float scale = 1f / MathF.Sqrt(headDim);
        var output = cuda.Upload<ushort>(Enumerable.Repeat((ushort)0x7FC0, tokens * heads * headDim).ToArray());
        var partAcc = cuda.Upload(new float[tokens * heads * parts * headDim]);
        var partMl = cuda.Upload(new float[tokens * heads * parts * 2]);
        gpu.Kernels.PagedAttention(default, new PagedAttentionCall(
            cuda.Upload(FakeBuffers.ToBf16(queries)), arena.Offset(layerOffset * 2), pageStride, cuda.Upload(tables.Cast<int>().ToArray()), maxBlocks,
            cuda.Upload(tokenSeq.ToArray()), cuda.Upload(positions.ToArray()), partAcc, partMl, output,
            tokens, heads, kvHeads, headDim, blockTokens, window, scale, (float)softcap, MinPartTokens: 16, parts));

        var actual = Errors.FromBf16(cuda.Download<ushort>(output, tokens * heads * headDim));
        var expected = new double[actual.Length];
        for (int t = 0; t < tokens - 1; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                var head = Dense(queries.AsSpan(((t * heads) + h) * headDim, headDim), keys[tokenSeq[t]], values[tokenSeq[t]], h / (heads / kvHeads) * headDim, positions[t], window, scale, softcap);
                head.CopyTo(expected.AsSpan(((t * heads) + h) * headDim));
            }
        }

        Assert.All(actual.AsSpan((tokens - 1) * heads * headDim).ToArray(), v => Assert.Equal(0f, v)); // padding row is zero
        double error = Errors.Relative(actual, expected);
        Assert.True(error < 1e-2, $"relative error {error:E2}");
    }

    /// <summary>Softmax(q.k * scale, softcapped) . v over keys first..position, in f64.</summary>
    private static double[] Dense(ReadOnlySpan<float> q, float[][] keys, float[][] values, int offset, int position, int window, double scale, double softcap)
    {
        int first = window > 0 ? Math.Max(0, position + 1 - window) : 0;
        var scores = new double[position + 1 - first];
        for (int j = first; j <= position; j++)
        {
            double dot = 0;
            for (int d = 0; d < q.Length; d++)
            {
                dot += (double)q[d] * keys[j][offset + d];
            }

            double s = dot * scale;
            scores[j - first] = softcap > 0 ? Math.Tanh(s / softcap) * softcap : s;
        }

        double max = scores.Max();
        double sum = scores.Sum(s => Math.Exp(s - max));
        var output = new double[q.Length];
        for (int j = first; j <= position; j++)
        {
            double weight = Math.Exp(scores[j - first] - max) / sum;
            for (int d = 0; d < q.Length; d++)
            {
                output[d] += weight * values[j][offset + d];
            }
        }

        return output;
    }

    /// <summary>Random values already rounded to bf16, so the reference sees exactly what the kernel reads.</summary>
    private static float[] Rounded(Random random, int count, double scale) =>
        [.. FakeBuffers.Normal(random, count, scale).Select(v => Float16Bits.Bf16ToSingle(Float16Bits.SingleToBf16(v)))];
}
