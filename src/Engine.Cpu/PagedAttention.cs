using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LlmQueue.Engine.Cpu;

/// <summary>
/// Attention of one query head over positions [firstPosition, contextLength) of a sequence, reading K/V
/// in place through the block table (no contiguous copy). firstPosition is 0 for full attention and
/// q - W + 1 for a sliding window of W: blocks wholly before it are never read (their pages may be gone).
/// Softmax in f32 with max subtraction.
/// </summary>
/// <remarks>
/// Head rows are short (64 floats here), so per-row TensorPrimitives calls spent more time in dispatch
/// than in arithmetic; the per-position dot and weighted V sum are inlined vector loops instead.
/// </remarks>
internal static unsafe class PagedAttention
{
    /// <param name="scale">Multiplies q·k before the softcap and the softmax.</param>
    /// <param name="softcap">Scores become tanh(s / softcap) * softcap (Gemma 2); 0 disables it.</param>
    /// <param name="scores">Scratch of at least contextLength - firstPosition floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first step; skip tier-0
    public static void Attend(
        ReadOnlySpan<float> query,
        KvLayerView kv,
        int kvHead,
        ReadOnlySpan<int> blockTable,
        int firstPosition,
        int contextLength,
        float scale,
        float softcap,
        Span<float> scores,
        Span<float> output)
    {
        int headDim = query.Length;
        int blockTokens = kv.BlockTokens;
        var live = scores[..(contextLength - firstPosition)];
        fixed (float* q = query)
        {
            for (int b = firstPosition / blockTokens; b * blockTokens < contextLength; b++)
            {
                float* blockKeys = kv.Keys(blockTable[b], kvHead);
                int from = Math.Max(firstPosition - (b * blockTokens), 0);
                int to = Math.Min(blockTokens, contextLength - (b * blockTokens));
                for (int s = from; s < to; s++)
                {
                    live[(b * blockTokens) + s - firstPosition] = Dot(q, blockKeys + ((long)s * headDim), headDim) * scale;
                }
            }
        }

        if (softcap > 0)
        {
            Softcap.Apply(live, softcap);
        }

        float max = TensorPrimitives.Max(live);
        TensorPrimitives.Subtract(live, max, live);
        TensorPrimitives.Exp(live, live);
        float inverseSum = 1f / TensorPrimitives.Sum(live);

        output.Clear();
        fixed (float* o = output)
        {
            for (int b = firstPosition / blockTokens; b * blockTokens < contextLength; b++)
            {
                float* blockValues = kv.Values(blockTable[b], kvHead);
                int from = Math.Max(firstPosition - (b * blockTokens), 0);
                int to = Math.Min(blockTokens, contextLength - (b * blockTokens));
                for (int s = from; s < to; s++)
                {
                    MultiplyAdd(blockValues + ((long)s * headDim), live[(b * blockTokens) + s - firstPosition], o, headDim);
                }
            }
        }

        TensorPrimitives.Multiply(output, inverseSum, output);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(float* a, float* b, int n)
    {
        var sum = Vector256<float>.Zero;
        int i = 0;
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            sum = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), sum);
        }

        float result = Vector256.Sum(sum);
        for (; i < n; i++)
        {
            result += a[i] * b[i];
        }

        return result;
    }

    /// <summary>y += a * x over n floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAdd(float* x, float a, float* y, int n)
    {
        var weight = Vector256.Create(a);
        int i = 0;
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            Vector256.FusedMultiplyAdd(Vector256.Load(x + i), weight, Vector256.Load(y + i)).Store(y + i);
        }

        for (; i < n; i++)
        {
            y[i] += a * x[i];
        }
    }
}
