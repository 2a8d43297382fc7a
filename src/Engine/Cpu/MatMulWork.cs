using LlmQueue.Engine.Weights;

namespace LlmQueue.Engine.Cpu;

/// <summary>
/// y[t, :] = x[t, :] · Wᵀ for a [out, in] weight in its stored dtype, split across the pool by
/// blocks of output rows. One instance per runner, reused every call (no per-call allocation).
/// </summary>
internal sealed unsafe class MatMulWork : IParallelWork
{
    // Token tile whose activations (TokenTile x in x 4 bytes) stay cache-resident while a row block streams.
    private const int TokenTile = 64;

    private readonly CpuWorkerPool _pool;
    private byte* _weights;
    private long _rowBytes;
    private TensorDType _dtype;
    private int _rows;
    private int _k;
    private int _rowsPerItem;
    private float* _x;
    private int _tokens;
    private float* _y;
    private int _yStride;

    public MatMulWork(CpuWorkerPool pool) => _pool = pool;

    /// <summary>Writes y[t * yStride + r] for t in [0, tokens), r in [0, weight rows).</summary>
    public void Run(TensorView weight, float* x, int tokens, float* y, int yStride)
    {
        _weights = weight.Data;
        _dtype = weight.DType;
        _rows = weight.Shape[0];
        _k = weight.RowLength;
        _rowBytes = (long)_k * weight.DType.ElementSize();
        _x = x;
        _tokens = tokens;
        _y = y;
        _yStride = yStride;
        // About 8 items per thread balances load; a multiple of the kernel's 4 rows keeps blocks whole.
        int target = Math.Max(1, _rows / (_pool.Workers * 8));
        _rowsPerItem = (target + MatMulKernel.Rows - 1) / MatMulKernel.Rows * MatMulKernel.Rows;
        _pool.Run(this, (_rows + _rowsPerItem - 1) / _rowsPerItem);
    }

    public void Execute(int item, int worker)
    {
        switch (_dtype)
        {
            case TensorDType.BF16: RunItem<Bf16Rows>(item); break;
            case TensorDType.F16: RunItem<F16Rows>(item); break;
            default: RunItem<F32Rows>(item); break;
        }
    }

    private void RunItem<TRows>(int item)
        where TRows : struct, IWeightRows
    {
        int rowStart = item * _rowsPerItem;
        int rowEnd = Math.Min(_rows, rowStart + _rowsPerItem);
        for (int tileStart = 0; tileStart < _tokens; tileStart += TokenTile)
        {
            int tileEnd = Math.Min(_tokens, tileStart + TokenTile);
            for (int r = rowStart; r < rowEnd; r += MatMulKernel.Rows)
            {
                int rowCount = Math.Min(MatMulKernel.Rows, rowEnd - r);
                for (int t = tileStart; t < tileEnd; t += MatMulKernel.Tokens)
                {
                    MatMulKernel.Block<TRows>(
                        _weights, _rowBytes, r, rowCount, _x, t, Math.Min(MatMulKernel.Tokens, tileEnd - t), _k, _y, _yStride);
                }
            }
        }
    }
}
