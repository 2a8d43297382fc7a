using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Checks;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;
using LlmQueue.Gpu.Planning;

namespace LlmQueue.Gpu.Tests.Reference;

/// <summary>
/// The RoPE + KV store kernel's C# twin against an fp64 rotation with frequencies from the Hugging Face formulas
/// (written here independently, in f64): q comes out rotated, k rotated and v as is land in their page and slot,
/// optional bias and per-head q/k norms apply first, and a padding token (slot -1) writes nothing.
/// </summary>
public class RopeReferenceTests
{
    public static TheoryData<int, int, int, string, bool, bool> Cases() => new()
    {
        // headDim, heads, kvHeads, rope, bias, qk norm
        { 64, 8, 2, "llama3", false, false },
        { 128, 4, 4, "plain", true, false },
        { 256, 4, 1, "linear", false, true },
        { 16, 4, 2, "plain", true, true },
        { 96, 6, 3, "llama3", false, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rotates_q_and_k_and_stores_k_and_v_in_their_pages(int headDim, int heads, int kvHeads, string ropeKind, bool bias, bool qkNorm)
    {
        var random = new Random(headDim + (heads * 100) + ropeKind.Length);
        var rope = Rope(ropeKind);
        const int blockTokens = 4;
        const int pages = 6;
        int[] positions = [0, 5, 31999, 7, 1234];
        int[] slots = [(3 * blockTokens) + 0, (1 * blockTokens) + 1, (5 * blockTokens) + 3, -1, (0 * blockTokens) + 2];
        int tokens = positions.Length;
        int width = (heads + (2 * kvHeads)) * headDim;
        var qkv = FakeBuffers.Normal(random, tokens * width);
        var biasValues = bias ? FakeBuffers.Normal(random, width, 0.5) : null;
        var qGain = qkNorm ? FakeBuffers.Normal(random, headDim, 0.3) : null;
        var kGain = qkNorm ? FakeBuffers.Normal(random, headDim, 0.3) : null;
        long pageStride = 2L * kvHeads * blockTokens * headDim;

        using var gpu = new ReferenceBackend();
        var cuda = gpu.Fake;
        var kv = cuda.Upload(Enumerable.Repeat((ushort)0xFFFF, (int)(pages * pageStride)).ToArray());
        var q = cuda.Upload(new ushort[tokens * heads * headDim]);
        DevicePointer Optional(float[]? values) => values is null ? DevicePointer.Null : cuda.Upload<float>(values);
        gpu.Launcher.RopeQkvStore(default, new RopeQkvStoreCall(
            cuda.Upload<float>(qkv), Optional(biasValues), Optional(qGain), Optional(kGain), cuda.Upload(RotaryFrequencies.For(headDim, rope)),
            cuda.Upload<int>(positions), cuda.Upload<int>(slots), q, kv, pageStride, tokens, heads, kvHeads, headDim, blockTokens, 1e-6f, AddOne: qkNorm));

        var frequencies = InverseFrequencies(headDim, rope);
        var pagesAfter = cuda.Download<ushort>(kv, pages * pageStride);
        var queries = Errors.FromBf16(cuda.Download<ushort>(q, tokens * heads * headDim));
        var expectedQueries = new double[queries.Length];
        var storedKeys = new List<float>();
        var expectedKeys = new List<double>();
        var storedValues = new List<float>();
        var expectedValues = new List<double>();
        for (int t = 0; t < tokens; t++)
        {
            var row = qkv.AsSpan(t * width, width).ToArray().Select((v, i) => (double)v + (biasValues?[i] ?? 0)).ToArray();
            for (int h = 0; h < heads; h++)
            {
                Rotate(Norm(row.AsSpan(h * headDim, headDim), qGain), positions[t], frequencies).CopyTo(expectedQueries.AsSpan(((t * heads) + h) * headDim));
            }

            if (slots[t] < 0)
            {
                continue;
            }

            for (int h = 0; h < kvHeads; h++)
            {
                long at = (slots[t] / blockTokens * pageStride) + (((h * blockTokens) + (slots[t] % blockTokens)) * (long)headDim);
                storedKeys.AddRange(Errors.FromBf16(pagesAfter.AsSpan((int)at, headDim)));
                expectedKeys.AddRange(Rotate(Norm(row.AsSpan((heads + h) * headDim, headDim), kGain), positions[t], frequencies));
                storedValues.AddRange(Errors.FromBf16(pagesAfter.AsSpan((int)(at + (pageStride / 2)), headDim)));
                expectedValues.AddRange(row.AsSpan((heads + kvHeads + h) * headDim, headDim).ToArray());
            }
        }

        Assert.True(Errors.Relative(queries, expectedQueries) < 1e-2, "q");
        Assert.True(Errors.Relative([.. storedKeys], [.. expectedKeys]) < 1e-2, "k");
        Assert.True(Errors.Relative([.. storedValues], [.. expectedValues]) < 1e-2, "v");
        // Four tokens wrote one K and one V row per KV head; every other element keeps its fill.
        Assert.Equal(pagesAfter.Length - (4 * kvHeads * 2 * headDim), pagesAfter.Count(v => v == 0xFFFF));
    }

    [Theory]
    [InlineData("plain", 64)]
    [InlineData("llama3", 64)]
    [InlineData("llama3", 128)]
    [InlineData("linear", 256)]
    public void Inverse_frequencies_follow_the_hugging_face_formulas(string ropeKind, int headDim)
    {
        var rope = Rope(ropeKind);
        var actual = RotaryFrequencies.For(headDim, rope);
        Assert.True(Errors.Relative(actual, InverseFrequencies(headDim, rope)) < 1e-6);
    }

    private static RopeSpec Rope(string kind) => kind switch
    {
        "llama3" => new RopeSpec(500000f, new RopeScaling(RopeScalingKind.Llama3, 32f, 1f, 4f, 8192)),
        "linear" => new RopeSpec(1_000_000f, new RopeScaling(RopeScalingKind.Linear, 8f)),
        _ => new RopeSpec(10000f),
    };

    /// <summary>modeling_rope_utils in f64: default, linear and llama3 inverse frequencies.</summary>
    private static double[] InverseFrequencies(int headDim, RopeSpec rope)
    {
        var result = new double[headDim / 2];
        for (int i = 0; i < result.Length; i++)
        {
            double inverse = 1.0 / Math.Pow(rope.Theta, 2.0 * i / headDim);
            if (rope.Scaling is { Kind: RopeScalingKind.Linear } linear)
            {
                inverse /= linear.Factor;
            }
            else if (rope.Scaling is { } s)
            {
                double wavelength = 2 * Math.PI / inverse;
                double low = s.OriginalMaxPositionEmbeddings / (double)s.LowFreqFactor;
                double high = s.OriginalMaxPositionEmbeddings / (double)s.HighFreqFactor;
                double smooth = ((s.OriginalMaxPositionEmbeddings / wavelength) - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                inverse = wavelength > low ? inverse / s.Factor : wavelength < high ? inverse : ((1 - smooth) * inverse / s.Factor) + (smooth * inverse);
            }

            result[i] = inverse;
        }

        return result;
    }

    private static double[] Norm(ReadOnlySpan<double> head, float[]? gain)
    {
        var result = head.ToArray();
        if (gain is null)
        {
            return result;
        }

        double inverse = 1 / Math.Sqrt((result.Sum(v => v * v) / result.Length) + 1e-6);
        return [.. result.Select((v, i) => v * inverse * (1 + gain[i]))];
    }

    private static double[] Rotate(double[] head, int position, double[] frequencies)
    {
        int half = head.Length / 2;
        var result = new double[head.Length];
        for (int i = 0; i < half; i++)
        {
            double angle = position * frequencies[i];
            result[i] = (head[i] * Math.Cos(angle)) - (head[i + half] * Math.Sin(angle));
            result[i + half] = (head[i + half] * Math.Cos(angle)) + (head[i] * Math.Sin(angle));
        }

        return result;
    }
}
