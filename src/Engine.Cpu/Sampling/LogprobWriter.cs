using System.Numerics.Tensors;
using LlmQueue.Engine.Runners;

namespace LlmQueue.Engine.Cpu.Sampling;

/// <summary>
/// Logprobs as the runner contract reports them: log-softmax over the whole vocabulary of the penalised logits
/// scaled by 1 / temperature (unscaled for greedy rows), before top-k, top-p and min-p (vLLM's "processed"
/// logprobs). z = (logit - max) x scale in f32; logprob = z - ln(sum of exp(z)) with the sum in f64.
/// </summary>
internal static class LogprobWriter
{
    private const int BlockSize = 2048;

    public static void Write(ReadOnlySpan<float> logits, SamplingParameters parameters, int token, SamplingScratch scratch, StepOutputs outputs, int row)
    {
        var scale = parameters.IsGreedy ? 1f : 1f / parameters.Temperature;
        var max = TensorPrimitives.Max(logits);
        var logSum = LogSumExp(logits, max, scale, scratch.Weights(logits.Length));
        outputs.SampledLogprobs[row] = Logprob(logits[token], max, scale, logSum);
        var ids = outputs.TopTokenIds(row)[..parameters.Logprobs];
        var count = SelectTop(logits, ids);
        var logprobs = outputs.TopLogprobs(row);
        for (var i = 0; i < count; i++)
        {
            logprobs[i] = Logprob(logits[ids[i]], max, scale, logSum);
        }
    }

    private static float Logprob(float logit, float max, float scale, double logSum) => (float)(((logit - max) * scale) - logSum);

    /// <summary>ln(sum of exp((logit - max) x scale)), summed in f64 block by block over the f32 exponentials.</summary>
    private static double LogSumExp(ReadOnlySpan<float> logits, float max, float scale, Span<float> exponentials)
    {
        TensorPrimitives.Subtract(logits, max, exponentials);
        TensorPrimitives.Multiply(exponentials, scale, exponentials);
        TensorPrimitives.Exp(exponentials, exponentials);
        var sum = 0.0;
        for (var start = 0; start < exponentials.Length; start += BlockSize)
        {
            sum += TensorPrimitives.Sum(exponentials.Slice(start, Math.Min(BlockSize, exponentials.Length - start)));
        }

        return Math.Log(sum);
    }

    /// <summary>
    /// The ids of the <paramref name="top"/>.Length largest logits, largest first and lower id first on ties, by
    /// insertion into a short sorted list (at most 20); NaN logits never enter. Returns how many were found.
    /// </summary>
    private static int SelectTop(ReadOnlySpan<float> logits, Span<int> top)
    {
        var count = 0;
        for (var id = 0; id < logits.Length && !top.IsEmpty; id++)
        {
            var logit = logits[id];
            if (float.IsNaN(logit) || (count == top.Length && !(logit > logits[top[count - 1]])))
            {
                continue;
            }

            // Strictly greater moves an entry down, so an equal logit stays behind the lower id already there.
            var at = Math.Min(count, top.Length - 1);
            while (at > 0 && logit > logits[top[at - 1]])
            {
                top[at] = top[at - 1];
                at--;
            }

            top[at] = id;
            count = Math.Min(count + 1, top.Length);
        }

        return count;
    }
}
