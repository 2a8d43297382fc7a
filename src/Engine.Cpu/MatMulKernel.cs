using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LlmQueue.Engine.Cpu;

/// <summary>
/// Register-blocked y[t, r] = dot(x[t, :k], w[r, :k]) for up to 4 weight rows x 4 token rows: each
/// widened weight vector feeds 4 token rows, so batched steps reuse every weight load 4 times.
/// One body serves both SIMD widths (<see cref="ISimdWidth{TVec}"/>) and every weight dtype; the JIT
/// specialises each combination. x must be in the weight dtype's column order (<see cref="ColumnOrder"/>
/// when it interleaves). Partial blocks repeat their last row/token (computed, not stored) to keep one
/// kernel shape; the single-token shape (decode of one sequence) is its own instantiation via
/// <see cref="ITokenBlock"/>, so it spends no FMAs on repeated tokens.
/// </summary>
/// <remarks>
/// 4 x 4 on 512-bit too: the bf16 unpacks share the two 512-bit FMA ports, so T tokens per block give at
/// most T / (T + 1) of the FMA peak, and 6 tokens (the most whose 24 accumulators fit 32 registers) gained
/// little at batch 16 (blocks of 6, 6, 4 instead of 4 x 4) while the JIT spilled accumulators: it keeps
/// each raw weight load live for the second unpack, 4 more registers than 32 allow.
/// </remarks>
internal static unsafe class MatMulKernel
{
    public const int Rows = 4;
    public const int Tokens = 4;

    /// <summary>How far below the current block the weight prefetch runs: one row chunk of <see cref="MatMulWork"/>.</summary>
    public const int PrefetchRows = 16;

    private const int CacheLine = 64;

    // Fully optimised from the first call: tier-0 code of this loop is ~10x slower and a server
    // process would otherwise spend its first steps there.
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block<TSimd, TVec, TRows, TTokens>(
        byte* w, long rowBytes, int r0, int rowCount, float* x, int t0, int tokenCount, int k, float* y, int yStride)
        where TSimd : struct, ISimdWidth<TVec>
        where TVec : struct
        where TRows : struct, IWeightRows
        where TTokens : struct, ITokenBlock
    {
        byte* w0 = w + (r0 * rowBytes);
        byte* w1 = w0 + (Math.Min(1, rowCount - 1) * rowBytes);
        byte* w2 = w0 + (Math.Min(2, rowCount - 1) * rowBytes);
        byte* w3 = w0 + (Math.Min(3, rowCount - 1) * rowBytes);
        float* x0 = x + ((long)t0 * k);
        float* x1 = x0 + ((long)Math.Min(1, tokenCount - 1) * k);
        float* x2 = x0 + ((long)Math.Min(2, tokenCount - 1) * k);
        float* x3 = x0 + ((long)Math.Min(3, tokenCount - 1) * k);

        // a{row}{token}
        TVec a00 = default, a01 = default, a02 = default, a03 = default;
        TVec a10 = default, a11 = default, a12 = default, a13 = default;
        TVec a20 = default, a21 = default, a22 = default, a23 = default;
        TVec a30 = default, a31 = default, a32 = default, a33 = default;
        int lanes = TSimd.Lanes;
        int group = 2 * lanes;
        int i = 0;
        for (; i <= k - group; i += group)
        {
            PrefetchNextBlock<TRows>(w0, rowBytes, i, group);
            var v0 = TRows.LoadLow<TSimd, TVec>(w0, i);
            var v1 = TRows.LoadLow<TSimd, TVec>(w1, i);
            var v2 = TRows.LoadLow<TSimd, TVec>(w2, i);
            var v3 = TRows.LoadLow<TSimd, TVec>(w3, i);
            Accumulate<TSimd, TVec>(v0, v1, v2, v3, x0 + i, ref a00, ref a10, ref a20, ref a30);
            if (TTokens.IsBlock) // constant per instantiation: the JIT drops this for one token
            {
                Accumulate<TSimd, TVec>(v0, v1, v2, v3, x1 + i, ref a01, ref a11, ref a21, ref a31);
                Accumulate<TSimd, TVec>(v0, v1, v2, v3, x2 + i, ref a02, ref a12, ref a22, ref a32);
                Accumulate<TSimd, TVec>(v0, v1, v2, v3, x3 + i, ref a03, ref a13, ref a23, ref a33);
            }

            int j = i + lanes;
            v0 = TRows.LoadHigh<TSimd, TVec>(w0, i);
            v1 = TRows.LoadHigh<TSimd, TVec>(w1, i);
            v2 = TRows.LoadHigh<TSimd, TVec>(w2, i);
            v3 = TRows.LoadHigh<TSimd, TVec>(w3, i);
            Accumulate<TSimd, TVec>(v0, v1, v2, v3, x0 + j, ref a00, ref a10, ref a20, ref a30);
            if (TTokens.IsBlock)
            {
                Accumulate<TSimd, TVec>(v0, v1, v2, v3, x1 + j, ref a01, ref a11, ref a21, ref a31);
                Accumulate<TSimd, TVec>(v0, v1, v2, v3, x2 + j, ref a02, ref a12, ref a22, ref a32);
                Accumulate<TSimd, TVec>(v0, v1, v2, v3, x3 + j, ref a03, ref a13, ref a23, ref a33);
            }
        }

        var block = new BlockOutput(y, yStride, r0, rowCount, t0, tokenCount, i, k, w0, w1, w2, w3);
        block.Put<TSimd, TVec, TRows>(0, a00, a10, a20, a30, x0);
        if (TTokens.IsBlock)
        {
            block.Put<TSimd, TVec, TRows>(1, a01, a11, a21, a31, x1);
            block.Put<TSimd, TVec, TRows>(2, a02, a12, a22, a32, x2);
            block.Put<TSimd, TVec, TRows>(3, a03, a13, a23, a33, x3);
        }
    }

    /// <summary>One token row's FMAs against the 4 weight vectors of the current column half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate<TSimd, TVec>(
        TVec v0, TVec v1, TVec v2, TVec v3, float* x, ref TVec a0, ref TVec a1, ref TVec a2, ref TVec a3)
        where TSimd : struct, ISimdWidth<TVec>
        where TVec : struct
    {
        var u = TSimd.Load(x);
        a0 = TSimd.MultiplyAdd(v0, u, a0);
        a1 = TSimd.MultiplyAdd(v1, u, a1);
        a2 = TSimd.MultiplyAdd(v2, u, a2);
        a3 = TSimd.MultiplyAdd(v3, u, a3);
    }

    /// <summary>
    /// Weights are [out, in] row-major, so the rows <see cref="PrefetchRows"/> below this block follow
    /// contiguously; fetching their lines at the rate this block consumes columns (<see cref="Rows"/> x
    /// group x element size bytes per group) keeps DRAM streaming a whole row chunk ahead of the compute,
    /// so it overlaps the passes of later token blocks over the current chunk, and each core keeps more
    /// loads in flight than the hardware prefetcher alone. Into L2, not L1: the next chunk would evict the
    /// current chunk's weights and the token block's activations, which later passes re-read from L1
    /// (~5% faster at batch 16 in a noisy single-thread kernel measurement, no change at batch 1). Prefetches past the end of the weights are
    /// harmless (they never fault).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchNextBlock<TRows>(byte* w0, long rowBytes, int column, int group)
        where TRows : struct, IWeightRows
    {
        if (Sse.IsSupported)
        {
            // 2, 4 or 8 lines; written out because the JIT keeps constant-count loops as loops.
            int bytes = group * Rows * TRows.ElementSize;
            byte* ahead = w0 + (PrefetchRows * rowBytes) + ((long)column * Rows * TRows.ElementSize);
            Sse.Prefetch1(ahead);
            Sse.Prefetch1(ahead + CacheLine);
            if (bytes > 2 * CacheLine)
            {
                Sse.Prefetch1(ahead + (2 * CacheLine));
                Sse.Prefetch1(ahead + (3 * CacheLine));
            }

            if (bytes > 4 * CacheLine)
            {
                Sse.Prefetch1(ahead + (4 * CacheLine));
                Sse.Prefetch1(ahead + (5 * CacheLine));
                Sse.Prefetch1(ahead + (6 * CacheLine));
                Sse.Prefetch1(ahead + (7 * CacheLine));
            }
        }
    }

    /// <summary>Reduces one token's 4 row accumulators, adds the scalar tail (k not a multiple of the group) and stores the rows in range.</summary>
    private readonly ref struct BlockOutput(
        float* y, int yStride, int r0, int rowCount, int t0, int tokenCount, int tailStart, int k, byte* w0, byte* w1, byte* w2, byte* w3)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Put<TSimd, TVec, TRows>(int token, TVec a0, TVec a1, TVec a2, TVec a3, float* x)
            where TSimd : struct, ISimdWidth<TVec>
            where TVec : struct
            where TRows : struct, IWeightRows
        {
            if (token >= tokenCount)
            {
                return;
            }

            var sums = TSimd.Sum4(a0, a1, a2, a3);
            if (tailStart < k)
            {
                sums += Vector128.Create(Tail<TRows>(w0, x), Tail<TRows>(w1, x), Tail<TRows>(w2, x), Tail<TRows>(w3, x));
            }

            float* row = y + ((long)(t0 + token) * yStride) + r0;
            if (rowCount == Rows)
            {
                sums.Store(row);
                return;
            }

            for (int r = 0; r < rowCount; r++)
            {
                row[r] = sums.GetElement(r);
            }
        }

        private float Tail<TRows>(byte* w, float* x)
            where TRows : struct, IWeightRows
        {
            float sum = 0;
            for (int i = tailStart; i < k; i++)
            {
                sum += TRows.Load1(w, i) * x[i];
            }

            return sum;
        }
    }
}
