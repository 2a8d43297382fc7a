using LlmQueue.Gpu.Blas;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;
using LlmQueue.Gpu.Planning;

namespace LlmQueue.Gpu.Checks;

/// <summary>
/// Every kernel (and the matrix products) on the device against its C# reference on identical random inputs, at
/// model-like shapes: head_dim 16 to 256, GQA groups 1 to 8 (and 16, split in two), sliding windows, softcaps, ragged
/// prefill chunks with decode tokens and padding, several attention partitions. bf16 outputs must agree to a relative
/// error below 1e-2, f32 outputs below 1e-4.
/// </summary>
public static class KernelChecks
{
    public const double Bf16Tolerance = 1e-2;
    public const double F32Tolerance = 1e-4;

    /// <param name="outOfTime">Checked before each case; once true, the remaining cases are reported as not run.</param>
    public static IReadOnlyList<CheckResult> Run(KernelMirror mirror, int seed, Func<bool> outOfTime)
    {
        ArgumentNullException.ThrowIfNull(mirror);
        ArgumentNullException.ThrowIfNull(outOfTime);
        var results = new List<CheckResult>();
        foreach (var (name, check) in Cases())
        {
            if (outOfTime())
            {
                results.Add(new CheckResult(name, CheckOutcome.NotRun, "not run: out of time"));
                continue;
            }

            try
            {
                results.Add(check(mirror, new Random(seed + results.Count)) with { Name = name });
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                results.Add(CheckResult.Failure(name, error));
            }
        }

        return results;
    }

    private static IEnumerable<(string Name, Func<KernelMirror, Random, CheckResult> Check)> Cases()
    {
        yield return ("embed_tokens V=32000 H=2048 T=64", (m, r) => Embedding(m, r, 32000, 2048, 64));
        yield return ("rms_norm H=2048 rows picked", (m, r) => RmsNorm(m, r, 2048, addOne: false));
        yield return ("rms_norm H=1152 (1 + w)", (m, r) => RmsNorm(m, r, 1152, addOne: true));
        yield return ("add_rms_norm bias + sandwich + next norm", (m, r) => AddRmsNorm(m, r, 2304, full: true));
        yield return ("add_rms_norm residual only", (m, r) => AddRmsNorm(m, r, 1024, full: false));
        yield return ("rope_qkv_store hd64 32/8 llama3", (m, r) => Rope(m, r, 64, 32, 8, new RopeSpec(500000f, new RopeScaling(RopeScalingKind.Llama3, 32f, 1f, 4f, 8192)), bias: false, qkNorm: false));
        yield return ("rope_qkv_store hd128 16/8 bias", (m, r) => Rope(m, r, 128, 16, 8, new RopeSpec(1_000_000f), bias: true, qkNorm: false));
        yield return ("rope_qkv_store hd256 4/1 qk-norm linear", (m, r) => Rope(m, r, 256, 4, 1, new RopeSpec(1_000_000f, new RopeScaling(RopeScalingKind.Linear, 8f)), bias: false, qkNorm: true));
        yield return ("rope_qkv_store hd16 4/2 bias qk-norm", (m, r) => Rope(m, r, 16, 4, 2, new RopeSpec(10000f), bias: true, qkNorm: true));
        foreach (var (hd, heads, kv, block, window, softcap, parts) in AttentionCases)
        {
            yield return ($"paged_attention hd{hd} {heads}/{kv} block {block} window {window} softcap {softcap} parts {parts}",
                (m, r) => Attention(m, r, hd, heads, kv, block, window, softcap, parts));
        }

        yield return ("gated_activation SiLU T=64 I=8192", (m, r) => Gated(m, r, 64, 8192, gelu: false));
        yield return ("gated_activation GELU-tanh T=17 I=6912", (m, r) => Gated(m, r, 17, 6912, gelu: true));
        yield return ("logit_softcap 4M", Softcap);
        // One-row products run on gemv_bf16 (1, 4 and 8 warps per column here), the rest on cuBLAS.
        yield return ("gemm bf16->f32 1x2048x2048 (gemv_bf16)", (m, r) => Gemm(m, r, 1, 2048, 2048, BlasElement.F32));
        yield return ("gemm bf16->f32 1x8200x2056 (gemv_bf16, ragged)", (m, r) => Gemm(m, r, 1, 8200, 2056, BlasElement.F32));
        yield return ("gemm bf16->bf16 1x1152x6912 (gemv_bf16)", (m, r) => Gemm(m, r, 1, 1152, 6912, BlasElement.Bf16));
        yield return ("gemm bf16->f32 1x1000x1160 (gemv_bf16, ragged split)", (m, r) => Gemm(m, r, 1, 1000, 1160, BlasElement.F32));
        yield return ("gemm bf16->f32 37x3072x1024", (m, r) => Gemm(m, r, 37, 3072, 1024, BlasElement.F32));
        yield return ("gemm bf16->f32 8x32000x512", (m, r) => Gemm(m, r, 8, 32000, 512, BlasElement.F32));
        yield return ("gemm bf16->bf16 16x512x1024", (m, r) => Gemm(m, r, 16, 512, 1024, BlasElement.Bf16));
        yield return ("gemm strided batched 4x(32x64x128)", BatchedGemm);
    }

    /// <summary>(headDim, heads, kvHeads, blockTokens, window, softcap, parts).</summary>
    private static readonly (int, int, int, int, int, float, int)[] AttentionCases =
    [
        (64, 32, 8, 16, 0, 0f, 1), (64, 32, 8, 16, 0, 0f, 8), (64, 8, 8, 16, 0, 0f, 4),
        (128, 16, 8, 16, 0, 0f, 1), (128, 32, 4, 16, 512, 0f, 4), (128, 16, 2, 4, 40, 0f, 3),
        (256, 8, 4, 16, 4096, 50f, 2), (256, 4, 1, 16, 96, 0f, 32), (256, 8, 1, 8, 0, 0f, 1),
        (32, 16, 1, 4, 9, 2f, 5), (16, 4, 2, 4, 8, 4f, 1),
        (64, 32, 8, 16, 0, 0f, 200), (128, 28, 4, 16, 0, 0f, 256), (256, 4, 1, 16, 1000, 0f, 256),
    ];

    private static CheckResult Embedding(KernelMirror m, Random r, int vocab, int width, int tokens)
    {
        var table = m.Upload<ushort>(Bf16(r, vocab * width));
        var ids = m.Upload<int>(Enumerable.Range(0, tokens).Select(_ => r.Next(vocab)).ToArray());
        var hidden = m.PoisonedF32((long)tokens * width);
        m.Run((k, _, d) => k.EmbedTokens(default, new EmbedTokensCall(table.On(d), ids.On(d), hidden.On(d), tokens, width, 45.25f)));
        return CheckResult.Compare("", m.F32Error(hidden, (long)tokens * width), F32Tolerance);
    }

    private static CheckResult RmsNorm(KernelMirror m, Random r, int width, bool addOne)
    {
        const int Rows = 24;
        var x = m.Upload<float>(Normal(r, Rows * width, 4));
        var gain = m.Upload<float>(Normal(r, width, 0.5));
        var rows = m.Upload<int>([.. Enumerable.Range(0, Rows / 2).Select(_ => r.Next(Rows))]);
        var output = m.PoisonedBf16((long)Rows / 2 * width);
        m.Run((k, _, d) => k.RmsNorm(default, new RmsNormCall(x.On(d), rows.On(d), gain.On(d), output.On(d), Rows / 2, width, 1e-6f, addOne)));
        return CheckResult.Compare("", m.Bf16Error(output, (long)Rows / 2 * width), Bf16Tolerance);
    }

    private static CheckResult AddRmsNorm(KernelMirror m, Random r, int width, bool full)
    {
        const int Rows = 33;
        var hidden = m.Upload<float>(Normal(r, Rows * width, 3));
        var delta = m.Upload<float>(Normal(r, Rows * width, 3));
        var bias = m.Upload<float>(Normal(r, width));
        var deltaGain = m.Upload<float>(Normal(r, width, 0.5));
        var gain = m.Upload<float>(Normal(r, width, 0.5));
        var output = m.PoisonedBf16((long)Rows * width);
        m.Run((k, _, d) => k.AddRmsNorm(default, new AddRmsNormCall(
            hidden.On(d), delta.On(d), full ? bias.On(d) : DevicePointer.Null, full ? deltaGain.On(d) : DevicePointer.Null,
            full ? gain.On(d) : DevicePointer.Null, full ? output.On(d) : DevicePointer.Null, Rows, width, 1e-6f, AddOne: full)));
        var sum = CheckResult.Compare("", m.F32Error(hidden, (long)Rows * width), F32Tolerance);
        if (!full)
        {
            return sum;
        }

        var normed = CheckResult.Compare("", m.Bf16Error(output, (long)Rows * width), Bf16Tolerance);
        var outcome = sum.Outcome == CheckOutcome.Passed && normed.Outcome == CheckOutcome.Passed ? CheckOutcome.Passed : CheckOutcome.Failed;
        return new CheckResult("", outcome, $"sum: {sum.Detail}; normed: {normed.Detail}");
    }

    private static CheckResult Rope(KernelMirror m, Random r, int headDim, int heads, int kvHeads, RopeSpec rope, bool bias, bool qkNorm)
    {
        const int Tokens = 33;
        const int BlockTokens = 16;
        const int Pages = 40;
        int width = (heads + (2 * kvHeads)) * headDim;
        long pageStride = 3L * 2 * kvHeads * BlockTokens * headDim; // three layers per page; this is the middle one
        var positions = Enumerable.Range(0, Tokens).Select(_ => r.Next(32000)).ToArray();
        var slots = Enumerable.Range(0, Pages * BlockTokens).OrderBy(_ => r.Next()).Take(Tokens).ToArray();
        slots[5] = -1; // padding
        var qkv = m.Upload<float>(Normal(r, Tokens * width, 2));
        var biasValues = m.Upload<float>(Normal(r, width, 0.5));
        var qGain = m.Upload<float>(Normal(r, headDim, 0.5));
        var kGain = m.Upload<float>(Normal(r, headDim, 0.5));
        var frequencies = m.Upload<float>(RotaryFrequencies.For(headDim, rope));
        var positionBuffer = m.Upload<int>(positions);
        var slotBuffer = m.Upload<int>(slots);
        var q = m.PoisonedBf16((long)Tokens * heads * headDim);
        var kv = m.Filled<ushort>(Pages * pageStride, 0x7FC0);
        long layerOffset = 2L * kvHeads * BlockTokens * headDim;
        m.Run((k, _, d) => k.RopeQkvStore(default, new RopeQkvStoreCall(
            qkv.On(d), bias ? biasValues.On(d) : DevicePointer.Null, qkNorm ? qGain.On(d) : DevicePointer.Null, qkNorm ? kGain.On(d) : DevicePointer.Null,
            frequencies.On(d), positionBuffer.On(d), slotBuffer.On(d), q.On(d), kv.On(d).Offset(layerOffset * 2), pageStride,
            Tokens, heads, kvHeads, headDim, BlockTokens, 1e-6f, AddOne: qkNorm)));
        double qError = m.Bf16Error(q, (long)Tokens * heads * headDim);
        // The arena compares as a whole: untouched elements stay NaN on both sides only if neither side wrote them.
        var (device, reference) = m.Read<ushort>(kv, Pages * pageStride);
        int mismatchedWrites = device.Zip(reference).Count(p => (p.First == 0x7FC0) != (p.Second == 0x7FC0));
        var written = device.Zip(reference).Where(p => p.Second != 0x7FC0).ToArray();
        double kvError = KernelMirror.RelativeError(
            written.Select(p => Float16Bits.Bf16ToSingle(p.First)).ToArray(), written.Select(p => Float16Bits.Bf16ToSingle(p.Second)).ToArray());
        if (mismatchedWrites > 0)
        {
            return new CheckResult("", CheckOutcome.Failed, $"{mismatchedWrites} KV elements written on one side only");
        }

        return CheckResult.Compare("", Math.Max(qError, kvError), Bf16Tolerance);
    }

    private static CheckResult Attention(KernelMirror m, Random r, int headDim, int heads, int kvHeads, int blockTokens, int window, float softcap, int parts)
    {
        var problem = AttentionProblem.Random(headDim, heads, kvHeads, blockTokens, window, r.Next(), [(3000, 1), (700, 1), (37, 6), (0, 3), (511, 2), (1500, 17)]);
        int tokens = problem.Tokens;
        var arena = m.Upload<ushort>(problem.Arena);
        var queries = m.Upload<ushort>(problem.Queries);
        var tables = m.Upload<int>(problem.Tables);
        var tokenSeq = m.Upload<int>(problem.TokenSeq);
        var positions = m.Upload<int>(problem.Positions);
        var partAcc = m.PoisonedF32((long)tokens * heads * parts * headDim);
        var partMl = m.PoisonedF32((long)tokens * heads * parts * 2);
        var output = m.PoisonedBf16((long)tokens * heads * headDim);
        m.Run((k, _, d) => k.PagedAttention(default, new PagedAttentionCall(
            queries.On(d), arena.On(d).Offset(problem.LayerOffset * 2), problem.PageStride, tables.On(d), problem.MaxBlocks, tokenSeq.On(d), positions.On(d),
            partAcc.On(d), partMl.On(d), output.On(d), tokens, heads, kvHeads, headDim, blockTokens, window, 1f / MathF.Sqrt(headDim), softcap,
            AttentionPartitioning.MinPartTokens / 4, parts)));
        return CheckResult.Compare("", m.Bf16Error(output, (long)tokens * heads * headDim), Bf16Tolerance);
    }

    private static CheckResult Gated(KernelMirror m, Random r, int tokens, int inter, bool gelu)
    {
        var gateUp = m.Upload<float>(Normal(r, tokens * 2 * inter, 3));
        var output = m.PoisonedBf16((long)tokens * inter);
        m.Run((k, _, d) => k.GatedActivation(default, new GatedActivationCall(gateUp.On(d), output.On(d), tokens, inter, gelu)));
        return CheckResult.Compare("", m.Bf16Error(output, (long)tokens * inter), Bf16Tolerance);
    }

    private static CheckResult Softcap(KernelMirror m, Random r)
    {
        const int Count = 4 << 20;
        var logits = m.Upload<float>(Normal(r, Count, 40));
        m.Run((k, _, d) => k.LogitSoftcap(default, new LogitSoftcapCall(logits.On(d), Count, 30f)));
        return CheckResult.Compare("", m.F32Error(logits, Count), F32Tolerance);
    }

    private static CheckResult Gemm(KernelMirror m, Random r, int rows, int columns, int depth, BlasElement output)
    {
        var x = m.Upload<ushort>(Bf16(r, rows * depth));
        var w = m.Upload<ushort>(Bf16(r, columns * depth, 1 / Math.Sqrt(depth)));
        long count = (long)rows * columns;
        var y = output == BlasElement.F32 ? m.PoisonedF32(count) : m.PoisonedBf16(count);
        m.Run((_, blas, d) => blas.Multiply(default, new MatMul(x.On(d), w.On(d), y.On(d), output, rows, columns, depth)));
        return output == BlasElement.F32
            ? CheckResult.Compare("", m.F32Error(y, count), F32Tolerance)
            : CheckResult.Compare("", m.Bf16Error(y, count), Bf16Tolerance);
    }

    private static CheckResult BatchedGemm(KernelMirror m, Random r)
    {
        const int Batch = 4;
        const int Rows = 32;
        const int Columns = 64;
        const int Depth = 128;
        var x = m.Upload<ushort>(Bf16(r, Batch * Rows * Depth));
        var w = m.Upload<ushort>(Bf16(r, Batch * Columns * Depth, 0.1));
        var y = m.PoisonedF32(Batch * Rows * Columns);
        m.Run((_, blas, d) => blas.MultiplyBatched(default, new BatchedMatMul(
            new MatMul(x.On(d), w.On(d), y.On(d), BlasElement.F32, Rows, Columns, Depth), Rows * Depth, Columns * Depth, Rows * Columns, Batch)));
        return CheckResult.Compare("", m.F32Error(y, Batch * Rows * Columns), F32Tolerance);
    }

    private static float[] Normal(Random r, int count, double scale = 1)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble()));
        }

        return values;
    }

    private static ushort[] Bf16(Random r, int count, double scale = 1) => [.. Normal(r, count, scale).Select(Float16Bits.SingleToBf16)];
}
