using LlmQueue.Engine.Cpu;
using LlmQueue.Engine.KvCache.Jenga;
using LlmQueue.TestKit;

namespace LlmQueue.Engine.Cpu.Tests;

public unsafe class PagedAttentionTests
{
    [Theory]
    [InlineData(1, 1, 8, 1, 1, null, 0)]
    [InlineData(4, 2, 16, 4, 37, null, 0)]
    [InlineData(8, 1, 24, 3, 70, null, 0)]
    [InlineData(6, 3, 64, 16, 50, null, 0)]
    [InlineData(2, 2, 32, 5, 5, null, 0)]
    [InlineData(4, 2, 16, 4, 37, 1, 0)]
    [InlineData(4, 2, 16, 4, 37, 8, 0)]
    [InlineData(8, 1, 24, 3, 70, 9, 0)]
    [InlineData(6, 3, 64, 16, 50, 17, 0)]
    [InlineData(2, 2, 32, 5, 5, 64, 0)]
    [InlineData(4, 2, 16, 4, 37, null, 1.5)]
    [InlineData(4, 2, 16, 4, 37, 8, 2)]
    [InlineData(8, 1, 24, 3, 70, 9, 50)]
    public void Matches_dense_masked_fp64_attention_through_shuffled_block_tables(int heads, int kvHeads, int headDim, int blockSize, int length, int? window, double softcap)
    {
        var random = new Random((heads * 1000) + (headDim * 10) + length + (window ?? 0));
        int blocksNeeded = (length + blockSize - 1) / blockSize;
        int numBlocks = blocksNeeded + 5;
        var pages = Enumerable.Range(0, numBlocks).ToArray();
        random.Shuffle(pages);
        var blockTable = pages[..blocksNeeded];
        int poisoned = pages[^1];

        var layout = KvPoolLayout.FromLayers([new KvLayerSpec(kvHeads, headDim, sizeof(float), window)], blockSize);
        using var cache = new PagedKvCache(layout, numBlocks, kvHeads, headDim);
        var keys = RandomRows(random, length, kvHeads * headDim, 1.5);
        var values = RandomRows(random, length, kvHeads * headDim, 1.0);
        for (int p = 0; p < length; p++)
        {
            cache.Write(0, blockTable[p / blockSize], p % blockSize, ToFloat(keys[p]), ToFloat(values[p]));
        }

        var nan = Enumerable.Repeat(float.NaN, kvHeads * headDim).ToArray();
        for (int slot = 0; slot < blockSize; slot++)
        {
            cache.Write(0, poisoned, slot, nan, nan);
        }

        // Every query position; blocks the window no longer sees point at a NaN page, as released pages hold
        // someone else's data: reading one would poison the output.
        float scale = 1f / MathF.Sqrt(headDim);
        var scores = new float[length];
        var output = new float[headDim];
        for (int q = 0; q < length; q++)
        {
            var query = RandomRows(random, 1, heads * headDim, 1.5)[0];
            int first = window is { } w ? Math.Max(0, q + 1 - w) : 0;
            var table = blockTable.ToArray();
            Array.Fill(table, poisoned, 0, first / blockSize);
            for (int h = 0; h < heads; h++)
            {
                int kvHead = h / (heads / kvHeads);
                PagedAttention.Attend(
                    ToFloat(query).AsSpan(h * headDim, headDim), cache.Layer(0), kvHead, table, first, q + 1, scale, (float)softcap, scores, output);
                var expected = DenseAttention(query.AsSpan(h * headDim, headDim), keys, values, kvHead * headDim, first, q + 1, softcap);
                Assert.True(Compare.RelativeError(output, expected) < 1e-5, $"query {q} head {h}");
            }
        }
    }

    [Fact]
    public void Layers_of_two_types_share_one_arena_without_overwriting_each_other()
    {
        // Layer 0 full, layer 1 sliding: type pages interleave in the arena (3 full pages per large page here).
        var layout = KvPoolLayout.FromLayers([new KvLayerSpec(1, 4, sizeof(float)), new KvLayerSpec(1, 4, sizeof(float), 8), new KvLayerSpec(1, 4, sizeof(float), 8), new KvLayerSpec(1, 4, sizeof(float), 8)], 2);
        Assert.Equal(3, layout.SmallPagesPerLargePage(0));
        using var cache = new PagedKvCache(layout, largePages: 2, kvHeads: 1, headDim: 4);
        // Large page 0 carved for the sliding type (its page 0), large page 1 for the full type (its pages 3..5):
        // every slot written below must keep its own value.
        for (int page = 3; page < 6; page++)
        {
            for (int slot = 0; slot < 2; slot++)
            {
                cache.Write(0, page, slot, [page, slot, 0, 0], [-page, slot, 0, 0]);
            }
        }

        for (int layer = 1; layer < 4; layer++)
        {
            for (int slot = 0; slot < 2; slot++)
            {
                cache.Write(layer, 0, slot, [100 * layer, slot, 0, 0], [-100 * layer, slot, 0, 0]);
            }
        }

        for (int page = 3; page < 6; page++)
        {
            for (int slot = 0; slot < 2; slot++)
            {
                Assert.Equal((page, slot), ((int)cache.Layer(0).Keys(page, 0)[slot * 4], (int)cache.Layer(0).Keys(page, 0)[(slot * 4) + 1]));
                Assert.Equal(-page, cache.Layer(0).Values(page, 0)[slot * 4]);
            }
        }

        for (int layer = 1; layer < 4; layer++)
        {
            for (int slot = 0; slot < 2; slot++)
            {
                Assert.Equal((100 * layer, slot), ((int)cache.Layer(layer).Keys(0, 0)[slot * 4], (int)cache.Layer(layer).Keys(0, 0)[(slot * 4) + 1]));
                Assert.Equal(-100 * layer, cache.Layer(layer).Values(0, 0)[slot * 4]);
            }
        }
    }

    /// <summary>
    /// Softmax attention over all positions 0..length-1 with those before <paramref name="first"/> masked to -inf,
    /// scores scaled by d^-0.5 and, when <paramref name="softcap"/> > 0, capped to tanh(s / cap) * cap before the mask.
    /// </summary>
    private static double[] DenseAttention(ReadOnlySpan<double> q, double[][] keys, double[][] values, int offset, int first, int length, double softcap)
    {
        int d = q.Length;
        var logits = new double[length];
        for (int j = 0; j < length; j++)
        {
            double dot = 0;
            for (int i = 0; i < d; i++)
            {
                dot += q[i] * keys[j][offset + i];
            }

            double score = dot / Math.Sqrt(d);
            logits[j] = j < first ? double.NegativeInfinity : softcap > 0 ? Math.Tanh(score / softcap) * softcap : score;
        }

        double max = logits.Max();
        var weights = logits.Select(l => Math.Exp(l - max)).ToArray();
        double total = weights.Sum();
        var result = new double[d];
        for (int j = 0; j < length; j++)
        {
            for (int i = 0; i < d; i++)
            {
                result[i] += weights[j] / total * values[j][offset + i];
            }
        }

        return result;
    }

    // Values are rounded to f32 first so both sides see the same inputs.
    private static double[][] RandomRows(Random random, int rows, int width, double scale) =>
        [.. Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, width).Select(_ => (double)(float)((random.NextDouble() * 2 - 1) * scale)).ToArray())];

    private static float[] ToFloat(double[] row) => [.. row.Select(v => (float)v)];
}
