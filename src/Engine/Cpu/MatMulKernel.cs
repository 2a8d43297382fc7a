using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LlmQueue.Engine.Cpu;

/// <summary>
/// Register-blocked y[t, r] = dot(x[t, :k], w[r, :k]) for up to 4 weight rows x 4 token rows: each
/// widened weight vector feeds 4 token rows, so batched steps reuse every weight load 4 times.
/// x must be in the weight dtype's column order (<see cref="ColumnOrder"/> when it interleaves).
/// Partial blocks repeat their last row/token (computed, not stored) to keep one kernel shape;
/// the single-token shape (decode of one sequence) is its own instantiation via
/// <see cref="ITokenBlock"/>, so it spends no FMAs on repeated tokens.
/// </summary>
internal static unsafe class MatMulKernel
{
    public const int Rows = 4;
    public const int Tokens = 4;

    /// <summary>How far below the current block the weight prefetch runs: one row chunk of <see cref="MatMulWork"/>.</summary>
    public const int PrefetchRows = 16;

    // Fully optimised from the first call: tier-0 code of this loop is ~10x slower and a server
    // process would otherwise spend its first steps there.
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block<TRows, TTokens>(
        byte* w, long rowBytes, int r0, int rowCount, float* x, int t0, int tokenCount, int k, float* y, int yStride)
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

        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        // Walks k in groups of 16: x* point at activations in TRows' column order (see ColumnOrder).
        int i = 0;
        for (; i <= k - ColumnOrder.Group; i += ColumnOrder.Group)
        {
            PrefetchNextBlock<TRows>(w0, rowBytes, i);
            var v0 = TRows.LoadLow(w0, i);
            var v1 = TRows.LoadLow(w1, i);
            var v2 = TRows.LoadLow(w2, i);
            var v3 = TRows.LoadLow(w3, i);
            var u = Vector256.Load(x0 + i);
            a00 = Vector256.FusedMultiplyAdd(v0, u, a00);
            a10 = Vector256.FusedMultiplyAdd(v1, u, a10);
            a20 = Vector256.FusedMultiplyAdd(v2, u, a20);
            a30 = Vector256.FusedMultiplyAdd(v3, u, a30);
            if (TTokens.IsBlock) // constant per instantiation: the JIT drops this for one token
            {
                u = Vector256.Load(x1 + i);
                a01 = Vector256.FusedMultiplyAdd(v0, u, a01);
                a11 = Vector256.FusedMultiplyAdd(v1, u, a11);
                a21 = Vector256.FusedMultiplyAdd(v2, u, a21);
                a31 = Vector256.FusedMultiplyAdd(v3, u, a31);
                u = Vector256.Load(x2 + i);
                a02 = Vector256.FusedMultiplyAdd(v0, u, a02);
                a12 = Vector256.FusedMultiplyAdd(v1, u, a12);
                a22 = Vector256.FusedMultiplyAdd(v2, u, a22);
                a32 = Vector256.FusedMultiplyAdd(v3, u, a32);
                u = Vector256.Load(x3 + i);
                a03 = Vector256.FusedMultiplyAdd(v0, u, a03);
                a13 = Vector256.FusedMultiplyAdd(v1, u, a13);
                a23 = Vector256.FusedMultiplyAdd(v2, u, a23);
                a33 = Vector256.FusedMultiplyAdd(v3, u, a33);
            }

            v0 = TRows.LoadHigh(w0, i);
            v1 = TRows.LoadHigh(w1, i);
            v2 = TRows.LoadHigh(w2, i);
            v3 = TRows.LoadHigh(w3, i);
            u = Vector256.Load(x0 + i + 8);
            a00 = Vector256.FusedMultiplyAdd(v0, u, a00);
            a10 = Vector256.FusedMultiplyAdd(v1, u, a10);
            a20 = Vector256.FusedMultiplyAdd(v2, u, a20);
            a30 = Vector256.FusedMultiplyAdd(v3, u, a30);
            if (TTokens.IsBlock)
            {
                u = Vector256.Load(x1 + i + 8);
                a01 = Vector256.FusedMultiplyAdd(v0, u, a01);
                a11 = Vector256.FusedMultiplyAdd(v1, u, a11);
                a21 = Vector256.FusedMultiplyAdd(v2, u, a21);
                a31 = Vector256.FusedMultiplyAdd(v3, u, a31);
                u = Vector256.Load(x2 + i + 8);
                a02 = Vector256.FusedMultiplyAdd(v0, u, a02);
                a12 = Vector256.FusedMultiplyAdd(v1, u, a12);
                a22 = Vector256.FusedMultiplyAdd(v2, u, a22);
                a32 = Vector256.FusedMultiplyAdd(v3, u, a32);
                u = Vector256.Load(x3 + i + 8);
                a03 = Vector256.FusedMultiplyAdd(v0, u, a03);
                a13 = Vector256.FusedMultiplyAdd(v1, u, a13);
                a23 = Vector256.FusedMultiplyAdd(v2, u, a23);
                a33 = Vector256.FusedMultiplyAdd(v3, u, a33);
            }
        }

        var block = new BlockOutput(y, yStride, r0, rowCount, t0, tokenCount, i, k);
        block.Put<TRows>(0, 0, a00, w0, x0);
        block.Put<TRows>(1, 0, a10, w1, x0);
        block.Put<TRows>(2, 0, a20, w2, x0);
        block.Put<TRows>(3, 0, a30, w3, x0);
        if (TTokens.IsBlock)
        {
            block.Put<TRows>(0, 1, a01, w0, x1); block.Put<TRows>(0, 2, a02, w0, x2); block.Put<TRows>(0, 3, a03, w0, x3);
            block.Put<TRows>(1, 1, a11, w1, x1); block.Put<TRows>(1, 2, a12, w1, x2); block.Put<TRows>(1, 3, a13, w1, x3);
            block.Put<TRows>(2, 1, a21, w2, x1); block.Put<TRows>(2, 2, a22, w2, x2); block.Put<TRows>(2, 3, a23, w2, x3);
            block.Put<TRows>(3, 1, a31, w3, x1); block.Put<TRows>(3, 2, a32, w3, x2); block.Put<TRows>(3, 3, a33, w3, x3);
        }
    }

    /// <summary>
    /// Weights are [out, in] row-major, so the rows <see cref="PrefetchRows"/> below this block follow
    /// contiguously; fetching their lines at the rate this block consumes columns (2 cache lines per 16
    /// bf16 columns, 4 for f32) keeps DRAM streaming a whole row chunk ahead of the compute, so it
    /// overlaps the passes of later token blocks over the current chunk, and each core keeps more loads
    /// in flight than the hardware prefetcher alone. Prefetches past the end of the weights are
    /// harmless (they never fault).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchNextBlock<TRows>(byte* w0, long rowBytes, int column)
        where TRows : struct, IWeightRows
    {
        if (Sse.IsSupported)
        {
            byte* ahead = w0 + (PrefetchRows * rowBytes) + ((long)column * Rows * TRows.ElementSize);
            Sse.Prefetch0(ahead);
            Sse.Prefetch0(ahead + 64);
            if (TRows.ElementSize == 4)
            {
                Sse.Prefetch0(ahead + 128);
                Sse.Prefetch0(ahead + 192);
            }
        }
    }

    /// <summary>Reduces one accumulator, adds the scalar tail (k not a multiple of 16) and stores it if in range.</summary>
    private readonly ref struct BlockOutput(float* y, int yStride, int r0, int rowCount, int t0, int tokenCount, int tailStart, int k)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Put<TRows>(int row, int token, Vector256<float> acc, byte* w, float* x)
            where TRows : struct, IWeightRows
        {
            if (row >= rowCount || token >= tokenCount)
            {
                return;
            }

            float sum = Vector256.Sum(acc);
            for (int i = tailStart; i < k; i++)
            {
                sum += TRows.Load1(w, i) * x[i];
            }

            y[((long)(t0 + token) * yStride) + r0 + row] = sum;
        }
    }
}
