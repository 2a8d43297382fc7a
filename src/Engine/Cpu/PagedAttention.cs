using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace LlmQueue.Engine.Cpu;

/// <summary>
/// Attention of one query head over a sequence's first contextLength positions, reading K/V
/// in place through the block table (no contiguous copy). Softmax in f32 with max subtraction.
/// </summary>
internal static unsafe class PagedAttention
{
    /// <param name="scores">Scratch of at least contextLength floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first step; skip tier-0
    public static void Attend(
        ReadOnlySpan<float> query,
        float* keys,
        float* values,
        int kvHead,
        int kvHeads,
        int blockSize,
        ReadOnlySpan<int> blockTable,
        int contextLength,
        float scale,
        Span<float> scores,
        Span<float> output)
    {
        int headDim = query.Length;
        var live = scores[..contextLength];
        for (int start = 0, b = 0; start < contextLength; start += blockSize, b++)
        {
            float* blockKeys = keys + (HeadOffset(blockTable[b], kvHead, kvHeads, blockSize) * headDim);
            int count = Math.Min(blockSize, contextLength - start);
            for (int s = 0; s < count; s++)
            {
                live[start + s] = TensorPrimitives.Dot(query, new ReadOnlySpan<float>(blockKeys + ((long)s * headDim), headDim)) * scale;
            }
        }

        float max = TensorPrimitives.Max(live);
        TensorPrimitives.Subtract(live, max, live);
        TensorPrimitives.Exp(live, live);
        float inverseSum = 1f / TensorPrimitives.Sum(live);

        output.Clear();
        for (int start = 0, b = 0; start < contextLength; start += blockSize, b++)
        {
            float* blockValues = values + (HeadOffset(blockTable[b], kvHead, kvHeads, blockSize) * headDim);
            int count = Math.Min(blockSize, contextLength - start);
            for (int s = 0; s < count; s++)
            {
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(blockValues + ((long)s * headDim), headDim), live[start + s], output, output);
            }
        }

        TensorPrimitives.Multiply(output, inverseSum, output);
    }

    private static long HeadOffset(int block, int kvHead, int kvHeads, int blockSize) =>
        (((long)block * kvHeads) + kvHead) * blockSize;
}
