using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Checks;
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
        var problem = AttentionProblem.Random(headDim, heads, kvHeads, blockTokens, window, seed: (headDim * 7919) + (heads * 31) + parts + window);
        int tokens = problem.Tokens;
        float scale = 1f / MathF.Sqrt(headDim);
        using var gpu = new ReferenceBackend();
        var cuda = gpu.Fake;
        var arena = cuda.Upload<ushort>(problem.Arena);
        var output = cuda.Upload<ushort>(Enumerable.Repeat((ushort)0x7FC0, tokens * heads * headDim).ToArray());
        gpu.Launcher.PagedAttention(default, new PagedAttentionCall(
            cuda.Upload<ushort>(problem.Queries), arena.Offset(problem.LayerOffset * 2), problem.PageStride, cuda.Upload<int>(problem.Tables), problem.MaxBlocks,
            cuda.Upload<int>(problem.TokenSeq), cuda.Upload<int>(problem.Positions), cuda.Upload(new float[tokens * heads * parts * headDim]),
            cuda.Upload(new float[tokens * heads * parts * 2]), output, tokens, heads, kvHeads, headDim, blockTokens, window, scale, (float)softcap,
            MinPartTokens: 16, parts));

        var actual = Errors.FromBf16(cuda.Download<ushort>(output, tokens * heads * headDim));
        var queries = Errors.FromBf16(problem.Queries);
        var expected = new double[actual.Length];
        for (int t = 0; t < tokens - 1; t++)
        {
            int s = problem.TokenSeq[t];
            for (int h = 0; h < heads; h++)
            {
                Dense(queries.AsSpan(((t * heads) + h) * headDim, headDim), problem.Keys[s], problem.Values[s], h / (heads / kvHeads) * headDim, problem.Positions[t], window, scale, softcap)
                    .CopyTo(expected.AsSpan(((t * heads) + h) * headDim));
            }
        }

        Assert.All(actual.AsSpan((tokens - 1) * heads * headDim).ToArray(), v => Assert.Equal(0f, v)); // the padding row is zero
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
}
