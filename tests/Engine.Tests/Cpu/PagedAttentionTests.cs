using LlmQueue.Engine.Cpu;
using Xunit;

namespace LlmQueue.Engine.Tests.Cpu;

public unsafe class PagedAttentionTests
{
    [Theory]
    [InlineData(1, 1, 8, 1, 1)]
    [InlineData(4, 2, 16, 4, 37)]
    [InlineData(8, 1, 24, 3, 70)]
    [InlineData(6, 3, 64, 16, 50)]
    [InlineData(2, 2, 32, 5, 5)]
    public void Matches_dense_fp64_attention_through_shuffled_block_tables(int heads, int kvHeads, int headDim, int blockSize, int length)
    {
        var random = new Random((heads * 1000) + (headDim * 10) + length);
        int blocksNeeded = (length + blockSize - 1) / blockSize;
        int numBlocks = blocksNeeded + 5;
        var blockTable = Enumerable.Range(0, numBlocks).ToArray();
        random.Shuffle(blockTable);
        blockTable = blockTable[..blocksNeeded];

        using var cache = new PagedKvCache(layers: 1, numBlocks, kvHeads, blockSize, headDim);
        var keys = RandomRows(random, length, kvHeads * headDim, 1.5);
        var values = RandomRows(random, length, kvHeads * headDim, 1.0);
        for (int p = 0; p < length; p++)
        {
            cache.Write(0, blockTable[p / blockSize], p % blockSize, ToFloat(keys[p]), ToFloat(values[p]));
        }

        var query = RandomRows(random, 1, heads * headDim, 1.5)[0];
        float scale = 1f / MathF.Sqrt(headDim);
        var scores = new float[length];
        var output = new float[headDim];
        for (int h = 0; h < heads; h++)
        {
            int kvHead = h / (heads / kvHeads);
            PagedAttention.Attend(
                ToFloat(query).AsSpan(h * headDim, headDim), cache.Keys(0), cache.Values(0), kvHead, kvHeads, blockSize,
                blockTable, length, scale, scores, output);
            var expected = DenseAttention(query.AsSpan(h * headDim, headDim), keys, values, kvHead * headDim, length);
            Assert.True(Compare.RelativeError(output, expected) < 1e-5, $"head {h}");
        }
    }

    private static double[] DenseAttention(ReadOnlySpan<double> q, double[][] keys, double[][] values, int offset, int length)
    {
        int d = q.Length;
        var logits = new double[length];
        for (int j = 0; j < length; j++)
        {
            for (int i = 0; i < d; i++)
            {
                logits[j] += q[i] * keys[j][offset + i];
            }

            logits[j] /= Math.Sqrt(d);
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
