using System.Numerics.Tensors;
using LlmQueue.Engine.Runners;

namespace LlmQueue.Engine.Cpu.Sampling;

/// <summary>
/// Samples one row's next token on the host, exactly as docs/ARCHITECTURE.md ("Sampling") states, in vLLM's order:
/// repetition penalty (prompt and output tokens), frequency and presence penalties (output tokens), temperature
/// (below 1e-5 = greedy), top-k, top-p, min-p, then an inverse-CDF draw in token-id order over the kept tokens with
/// the row's counter-based uniform (<see cref="SamplingRandom"/>). Stateless: the row carries the token history, so a
/// row samples the same whatever the batch and whichever thread runs it. Allocates nothing: buffers are per thread.
/// </summary>
/// <remarks>
/// The kept set is "every token whose sort key (weight descending, id ascending) is at most the cut's", so finding it
/// never sorts the vocabulary: top-p sorts only the few weight buckets around its cut-off, min-p is a threshold, and
/// top-k sorts only the buckets holding the k largest logits.
/// </remarks>
internal static class HostSampler
{
    // Eight buckets per halving of the weight, covering weights down to 2^-32 of the maximum.
    private const int BucketCount = 256;
    private const int BucketsPerOctaveBits = 3;

    // Unfiltered draws sum the weights block by block (vectorised), then scan only the chosen block.
    private const int BlockSize = 2048;

    /// <summary>
    /// Picks row <paramref name="rowIndex"/>'s token into <paramref name="outputs"/> (with its logprobs when the row
    /// asks). <paramref name="logits"/> (length = vocabulary) is modified in place by the penalties.
    /// </summary>
    public static void Sample(Span<float> logits, in SamplingRow row, StepOutputs outputs, int rowIndex)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var parameters = row.Parameters;
        var scratch = SamplingScratch.ForCurrentThread(logits.Length);
        ApplyPenalties(logits, row, scratch);
        var token = parameters.IsGreedy
            ? TensorPrimitives.IndexOfMax(logits)
            : Draw(logits, parameters, SamplingRandom.Uniform(parameters.Seed, row.Position), scratch);
        outputs.SampledTokens[rowIndex] = token;
        if (parameters.WantsLogprobs)
        {
            LogprobWriter.Write(logits, parameters, token, scratch, outputs, rowIndex);
        }
    }

    /// <summary>The exact distribution <see cref="Sample"/> draws from for <paramref name="row"/> (for tests).</summary>
    internal static void ComputeProbabilities(Span<float> logits, in SamplingRow row, Span<float> probabilities)
    {
        var parameters = row.Parameters;
        var scratch = SamplingScratch.ForCurrentThread(logits.Length);
        ApplyPenalties(logits, row, scratch);
        probabilities.Clear();
        if (parameters.IsGreedy)
        {
            probabilities[TensorPrimitives.IndexOfMax(logits)] = 1f;
            return;
        }

        var kept = Keep(logits, parameters, scratch);
        var weights = scratch.Weights(logits.Length);
        if (kept.Listed)
        {
            foreach (var key in scratch.SortKeys(logits.Length)[..kept.Count])
            {
                var id = TokenOf(key);
                probabilities[id] = (float)(weights[id] / kept.Mass);
            }

            return;
        }

        for (var id = 0; id < weights.Length; id++)
        {
            probabilities[id] = SortKey(weights[id], id) <= kept.Cut ? (float)(weights[id] / kept.Mass) : 0f;
        }
    }

    /// <summary>
    /// Repetition penalty once per distinct token of the whole sequence, then frequency and presence once per
    /// distinct output token, counted from the row's history with per-thread marks (O(history), no hashing).
    /// </summary>
    private static void ApplyPenalties(Span<float> logits, in SamplingRow row, SamplingScratch scratch)
    {
        var parameters = row.Parameters;
        if (parameters.HasRepetitionPenalty)
        {
            var penalty = parameters.RepetitionPenalty;
            scratch.BeginMarking();
            foreach (var id in row.Tokens.Span)
            {
                if (scratch.MarkFirst(id))
                {
                    var logit = logits[id];
                    logits[id] = logit > 0 ? logit / penalty : logit * penalty;
                }
            }
        }

        if (parameters.HasOutputPenalties)
        {
            var counts = scratch.Counts;
            var output = row.OutputTokens;
            foreach (var id in output)
            {
                counts[id]++;
            }

            // The second pass applies each distinct token once and leaves the counts zero for the next row.
            foreach (var id in output)
            {
                if (counts[id] > 0)
                {
                    logits[id] -= (parameters.FrequencyPenalty * counts[id]) + parameters.PresencePenalty;
                    counts[id] = 0;
                }
            }
        }
    }

    /// <summary>Inverse-CDF draw in token-id order over the kept tokens: the first whose running f64 sum exceeds u x mass.</summary>
    private static int Draw(ReadOnlySpan<float> logits, SamplingParameters parameters, double uniform, SamplingScratch scratch)
    {
        var vocab = logits.Length;
        var kept = Keep(logits, parameters, scratch);
        if (!(kept.Mass > 0))
        {
            // Every logit was -inf or NaN: nothing to draw from, so fall back to the argmax.
            return TensorPrimitives.IndexOfMax(logits);
        }

        var weights = scratch.Weights(vocab);
        var target = uniform * kept.Mass;
        if (kept.Listed)
        {
            // Top-k's few survivors: their ids in ascending order (keys become bare ids, which sort as such).
            var listed = scratch.SortKeys(vocab)[..kept.Count];
            for (var i = 0; i < listed.Length; i++)
            {
                listed[i] = TokenOf(listed[i]);
            }

            listed.Sort();
            return WalkListed(weights, listed, target);
        }

        return kept.Cut == long.MaxValue ? DrawUnsorted(weights, target) : WalkKept(weights, kept.Cut, target);
    }

    private static int WalkListed(ReadOnlySpan<float> weights, ReadOnlySpan<long> ids, double target)
    {
        var cumulative = 0.0;
        foreach (var id in ids)
        {
            cumulative += weights[(int)id];
            if (cumulative > target)
            {
                return (int)id;
            }
        }

        return (int)ids[^1];
    }

    private static int WalkKept(ReadOnlySpan<float> weights, long cut, double target)
    {
        var cumulative = 0.0;
        var last = -1;
        for (var id = 0; id < weights.Length; id++)
        {
            if (SortKey(weights[id], id) <= cut)
            {
                cumulative += weights[id];
                last = id;
                if (cumulative > target)
                {
                    return id;
                }
            }
        }

        // Rounding left the target just above the total: the last kept token.
        return last;
    }

    /// <summary>Inverse-CDF draw over all weights, skipping whole blocks by their (vectorised) sums.</summary>
    private static int DrawUnsorted(ReadOnlySpan<float> weights, double target)
    {
        var cumulative = 0.0;
        for (var start = 0; start < weights.Length; start += BlockSize)
        {
            var block = weights.Slice(start, Math.Min(BlockSize, weights.Length - start));
            var blockMass = (double)TensorPrimitives.Sum(block);
            if (cumulative + blockMass <= target)
            {
                cumulative += blockMass;
                continue;
            }

            for (var i = 0; i < block.Length; i++)
            {
                cumulative += block[i];
                if (cumulative > target)
                {
                    return start + i;
                }
            }
        }

        // Rounding left the target just above the total: the last possible token.
        return weights.LastIndexOfAnyExcept(0f);
    }

    /// <summary>
    /// Softmax numerators at the temperature (max weight 1) and the set the filters keep: with top-k, the sorted
    /// survivors listed in the scratch keys; otherwise every token whose sort key is at most the cut's.
    /// </summary>
    private static KeptTokens Keep(ReadOnlySpan<float> logits, SamplingParameters parameters, SamplingScratch scratch)
    {
        var vocab = logits.Length;
        var weights = scratch.Weights(vocab);
        var keys = scratch.SortKeys(vocab);
        var max = TensorPrimitives.Max(logits);
        var inverseTemperature = 1f / parameters.Temperature;
        if (parameters.TopK > 0 && parameters.TopK < vocab)
        {
            var candidates = CollectTopKCandidates(logits, max, inverseTemperature, parameters.TopK, weights, keys);
            keys[..candidates].Sort();
            var count = Math.Min(candidates, parameters.TopK);
            if (parameters.TopP < 1f)
            {
                count = TopPCount(weights, keys[..count], 0, MassOf(weights, keys[..count]), parameters.TopP);
            }

            if (parameters.MinP > 0f)
            {
                count = MinPCount(weights, keys[..count], parameters.MinP);
            }

            return new KeptTokens(true, count, long.MaxValue, MassOf(weights, keys[..count]));
        }

        TensorPrimitives.Subtract(logits, max, weights);
        TensorPrimitives.Multiply(weights, inverseTemperature, weights);
        TensorPrimitives.Exp(weights, weights);
        if (parameters.TopP >= 1f && parameters.MinP <= 0f)
        {
            return new KeptTokens(false, 0, long.MaxValue, Sum(weights));
        }

        var cut = parameters.TopP < 1f ? TopPCut(weights, keys, parameters.TopP) : long.MaxValue;
        if (parameters.MinP > 0f)
        {
            // The largest weight is exactly 1, so min-p keeps weight >= min_p: every key up to (min_p, the last id).
            cut = Math.Min(cut, SortKey(parameters.MinP, -1));
        }

        var mass = 0.0;
        for (var id = 0; id < weights.Length; id++)
        {
            if (SortKey(weights[id], id) <= cut)
            {
                mass += weights[id];
            }
        }

        return new KeptTokens(false, 0, cut, mass);
    }

    /// <summary>
    /// The sort key of the last token of the smallest sorted prefix holding top_p of the mass, without sorting the
    /// vocabulary: weights are bucketed by binary exponent; buckets wholly before the one where the prefix crosses
    /// top_p are kept outright, and only that bucket and its neighbours (a margin for rounding) are sorted and walked.
    /// </summary>
    private static long TopPCut(ReadOnlySpan<float> weights, Span<long> keys, float topP)
    {
        Span<double> masses = stackalloc double[BucketCount];
        masses.Clear();
        foreach (var weight in weights)
        {
            masses[Bucket(weight)] += weight;
        }

        var total = 0.0;
        foreach (var mass in masses)
        {
            total += mass;
        }

        var target = topP * total;
        var crossing = BucketCount - 1;
        var running = 0.0;
        for (var b = 0; b < BucketCount; b++)
        {
            running += masses[b];
            if (running >= target)
            {
                crossing = b;
                break;
            }
        }

        var first = Math.Max(0, crossing - 1);
        var last = Math.Min(BucketCount - 1, crossing + 1);
        var before = 0.0;
        for (var b = 0; b < first; b++)
        {
            before += masses[b];
        }

        var count = 0;
        for (var id = 0; id < weights.Length; id++)
        {
            var bucket = Bucket(weights[id]);
            if (bucket >= first && bucket <= last)
            {
                keys[count++] = SortKey(weights[id], id);
            }
        }

        var region = keys[..count];
        region.Sort();
        return count == 0 ? long.MaxValue : region[TopPCount(weights, region, before, total, topP) - 1];
    }

    /// <summary>
    /// Top-k never needs the whole vocabulary's weights: candidates are bucketed by logit distance from the
    /// maximum (eight buckets per halving of probability), and only the buckets holding the top k are
    /// exponentiated and given sort keys.
    /// </summary>
    private static int CollectTopKCandidates(ReadOnlySpan<float> logits, float max, float inverseTemperature, int topK, Span<float> weights, Span<long> keys)
    {
        var scale = (1 << BucketsPerOctaveBits) * inverseTemperature / MathF.Log(2f);
        Span<int> counts = stackalloc int[BucketCount];
        counts.Clear();
        foreach (var logit in logits)
        {
            counts[LogitBucket(max - logit, scale)]++;
        }

        var limit = BucketCount - 1;
        var seen = 0;
        for (var b = 0; b < BucketCount; b++)
        {
            seen += counts[b];
            if (seen >= topK)
            {
                limit = b;
                break;
            }
        }

        var count = 0;
        for (var id = 0; id < logits.Length; id++)
        {
            if (LogitBucket(max - logits[id], scale) <= limit)
            {
                var weight = MathF.Exp((logits[id] - max) * inverseTemperature);
                weights[id] = weight;
                keys[count++] = SortKey(weight, id);
            }
        }

        return count;
    }

    // Float-to-int conversion saturates (NaN gives 0), so the clamp keeps every value in range.
    private static int LogitBucket(float distance, float scale) =>
        Math.Clamp((int)(distance * scale), 0, BucketCount - 1);

    /// <summary>
    /// Length of the smallest prefix of the sorted keys whose weights, added to <paramref name="before"/>, reach
    /// top_p of <paramref name="totalMass"/>; at least one.
    /// </summary>
    private static int TopPCount(ReadOnlySpan<float> weights, ReadOnlySpan<long> sorted, double before, double totalMass, float topP)
    {
        var target = topP * totalMass;
        var cumulative = before;
        for (var i = 0; i < sorted.Length; i++)
        {
            cumulative += weights[TokenOf(sorted[i])];
            if (cumulative >= target)
            {
                return i + 1;
            }
        }

        return Math.Max(1, sorted.Length);
    }

    /// <summary>Prefix of the sorted candidates with probability >= min_p times the largest (at least one).</summary>
    private static int MinPCount(ReadOnlySpan<float> weights, ReadOnlySpan<long> sorted, float minP)
    {
        var threshold = minP * weights[TokenOf(sorted[0])];
        var count = 1;
        while (count < sorted.Length && weights[TokenOf(sorted[count])] >= threshold)
        {
            count++;
        }

        return count;
    }

    /// <summary>
    /// 0 for weight 1, then eight buckets per halving (exponent and top mantissa bits of the float, so larger
    /// weights never land in later buckets); zero and tiny weights share the last bucket.
    /// </summary>
    private static int Bucket(float weight)
    {
        const int one = 127 << BucketsPerOctaveBits;
        var key = BitConverter.SingleToInt32Bits(weight) >> (23 - BucketsPerOctaveBits);
        return Math.Clamp(one - key, 0, BucketCount - 1);
    }

    /// <summary>
    /// Ascending keys order by weight descending, then token id ascending (non-negative floats sort as their bits);
    /// id -1 gives the last key of a weight.
    /// </summary>
    private static long SortKey(float weight, int id) =>
        ((long)(int.MaxValue - BitConverter.SingleToInt32Bits(weight)) << 32) | (uint)id;

    private static int TokenOf(long key) => (int)(key & 0xFFFFFFFF);

    private static double MassOf(ReadOnlySpan<float> weights, ReadOnlySpan<long> sorted)
    {
        var mass = 0.0;
        foreach (var key in sorted)
        {
            mass += weights[TokenOf(key)];
        }

        return mass;
    }

    private static double Sum(ReadOnlySpan<float> weights)
    {
        var total = 0.0;
        for (var start = 0; start < weights.Length; start += BlockSize)
        {
            total += TensorPrimitives.Sum(weights.Slice(start, Math.Min(BlockSize, weights.Length - start)));
        }

        return total;
    }

    /// <summary>
    /// What the filters keep: with <see cref="Listed"/>, the first <see cref="Count"/> scratch keys (top-k's sorted
    /// survivors); otherwise every token whose sort key is at most <see cref="Cut"/> (long.MaxValue: all).
    /// <see cref="Mass"/> sums the kept weights.
    /// </summary>
    private readonly record struct KeptTokens(bool Listed, int Count, long Cut, double Mass);
}
