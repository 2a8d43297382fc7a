using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using LlmQueue.Models.Weights;

namespace LlmQueue.Engine.Cpu;

/// <summary>
/// y = x · Wᵀ for up to three [out, in] weights sharing one input (q/k/v, gate/up) in a single pool
/// dispatch, split by blocks of output rows; weights stay in their stored dtype. Runs the 512-bit
/// kernel where the CPU accelerates it, else the 256-bit one. One instance per runner, reused every
/// call (no per-call allocation).
/// </summary>
internal sealed unsafe class MatMulWork : IParallelWork, IDisposable
{
    private const int MaxTargets = 3;

    // Rows whose weights (16 x in x 2 bytes of bf16: 24-64 KiB here) stay in L1/L2 while every 4-token
    // block of activations passes over them. Token blocks are the outer loop within a chunk so one
    // block's activations (4 x in x 4 bytes) stay in L1 too: they are 4-byte, so re-reading them for every
    // row block would cost more cache traffic than the 2-byte weights. The kernel prefetches the next
    // chunk while the later token blocks work on this one, which hides its DRAM latency.
    private const int RowChunk = MatMulKernel.PrefetchRows;

    private readonly CpuWorkerPool _pool;
    private readonly MatMulTarget[] _targets = new MatMulTarget[MaxTargets];
    private readonly int[] _firstItem = new int[MaxTargets + 1];
    private readonly int[] _rowsPerItem = new int[MaxTargets];
    private readonly NativeFloatBuffer _interleaved = new();
    private readonly bool _wide;
    private float* _x;
    private float* _xInterleaved;
    private int _tokens;

    public MatMulWork(CpuWorkerPool pool)
        : this(pool, Vector512.IsHardwareAccelerated)
    {
    }

    /// <summary><paramref name="wide"/>: the 512-bit kernel; false forces the 256-bit one (tests cover both here).</summary>
    internal MatMulWork(CpuWorkerPool pool, bool wide)
    {
        _pool = pool;
        _wide = wide;
    }

    /// <summary>Columns per kernel step: the order <see cref="ColumnOrder"/> interleaves bf16 activations in.</summary>
    private int Group => 2 * (_wide ? Simd512.Lanes : Simd256.Lanes);

    public void Run(float* x, int tokens, in MatMulTarget a)
    {
        _targets[0] = a;
        Dispatch(x, tokens, 1);
    }

    public void Run(float* x, int tokens, in MatMulTarget a, in MatMulTarget b)
    {
        _targets[0] = a;
        _targets[1] = b;
        Dispatch(x, tokens, 2);
    }

    public void Run(float* x, int tokens, in MatMulTarget a, in MatMulTarget b, in MatMulTarget c)
    {
        _targets[0] = a;
        _targets[1] = b;
        _targets[2] = c;
        Dispatch(x, tokens, 3);
    }

    public void Dispose() => _interleaved.Dispose();

    public void Execute(int item, int worker)
    {
        int target = 0;
        while (item >= _firstItem[target + 1])
        {
            target++;
        }

        ref readonly var t = ref _targets[target];
        int rowStart = (item - _firstItem[target]) * _rowsPerItem[target];
        int rows = _rowsPerItem[target];
        if (_wide)
        {
            RunRows<Simd512, Vector512<float>>(t, rowStart, rows);
        }
        else
        {
            RunRows<Simd256, Vector256<float>>(t, rowStart, rows);
        }
    }

    private void Dispatch(float* x, int tokens, int targetCount)
    {
        _x = x;
        _xInterleaved = null;
        _tokens = tokens;
        int items = 0;
        for (int i = 0; i < targetCount; i++)
        {
            if (_xInterleaved == null && _targets[i].Weight.DType == TensorDType.BF16)
            {
                // Once per dispatch (T x k floats, small next to the matmul) rather than per row block.
                int k = _targets[i].Weight.RowLength;
                _interleaved.EnsureCapacity((long)tokens * k);
                ColumnOrder.Interleave(x, _interleaved.Pointer, tokens, k, Group);
                _xInterleaved = _interleaved.Pointer;
            }

            int rows = _targets[i].Weight.Shape[0];
            // About 8 items per thread balances load; a multiple of the kernel's 4 rows keeps blocks whole.
            int target = Math.Max(1, rows / (_pool.Workers * 8));
            _rowsPerItem[i] = (target + MatMulKernel.Rows - 1) / MatMulKernel.Rows * MatMulKernel.Rows;
            _firstItem[i] = items;
            items += (rows + _rowsPerItem[i] - 1) / _rowsPerItem[i];
        }

        _firstItem[targetCount] = items;
        _pool.Run(this, items);
    }

    private void RunRows<TSimd, TVec>(in MatMulTarget target, int rowStart, int rowsPerItem)
        where TSimd : struct, ISimdWidth<TVec>
        where TVec : struct
    {
        switch (target.Weight.DType)
        {
            case TensorDType.BF16: RunRows<TSimd, TVec, Bf16Rows>(target, rowStart, rowsPerItem); break;
            case TensorDType.F16: RunRows<TSimd, TVec, F16Rows>(target, rowStart, rowsPerItem); break;
            default: RunRows<TSimd, TVec, F32Rows>(target, rowStart, rowsPerItem); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first step; skip tier-0
    private void RunRows<TSimd, TVec, TRows>(in MatMulTarget target, int rowStart, int rowsPerItem)
        where TSimd : struct, ISimdWidth<TVec>
        where TVec : struct
        where TRows : struct, IWeightRows
    {
        var weight = target.Weight;
        int k = weight.RowLength;
        long rowBytes = (long)k * TRows.ElementSize;
        int rowEnd = Math.Min(weight.Shape[0], rowStart + rowsPerItem);
        float* x = TRows.InterleavesColumns ? _xInterleaved : _x;
        for (int chunk = rowStart; chunk < rowEnd; chunk += RowChunk)
        {
            int chunkEnd = Math.Min(rowEnd, chunk + RowChunk);
            for (int t = 0; t < _tokens; t += MatMulKernel.Tokens)
            {
                int tokenCount = Math.Min(MatMulKernel.Tokens, _tokens - t);
                for (int r = chunk; r < chunkEnd; r += MatMulKernel.Rows)
                {
                    int rowCount = Math.Min(MatMulKernel.Rows, chunkEnd - r);
                    if (tokenCount == 1)
                    {
                        MatMulKernel.Block<TSimd, TVec, TRows, SingleToken>(weight.Data, rowBytes, r, rowCount, x, t, 1, k, target.Output, target.OutputStride);
                    }
                    else
                    {
                        MatMulKernel.Block<TSimd, TVec, TRows, TokenBlock>(weight.Data, rowBytes, r, rowCount, x, t, tokenCount, k, target.Output, target.OutputStride);
                    }
                }
            }
        }
    }
}
