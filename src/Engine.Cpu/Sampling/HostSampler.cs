using System.Numerics.Tensors;
using LlmQueue.Engine.Runners;

namespace LlmQueue.Engine.Cpu.Sampling;

/// <summary>
/// Samples one row's next token on the host, exactly as docs/ARCHITECTURE.md ("Sampling") states, in vLLM's order:
/// repetition penalty (prompt and output tokens), frequency and presence penalties (output tokens), temperature
/// (below 1e-5 = greedy), top-k, top-p, min-p, then an inverse-CDF draw with the row's counter-based uniform
/// (<see cref="SamplingRandom"/>). Stateless: the row carries the token history, so a row samples the same whatever
/// the batch and whichever thread runs it. Allocates nothing: buffers are per thread.
/// </summary>
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

        var vocab = logits.Length;
        var distribution = BuildDistribution(logits, parameters, scratch);
        var weights = scratch.Weights(vocab);
        if (distribution.Sorted)
        {
            foreach (var key in scratch.SortKeys(vocab)[..distribution.Count])
            {
                var id = TokenOf(key);
                probabilities[id] = (float)(weights[id] / distribution.Mass);
            }
        }
        else
        {
            TensorPrimitives.Multiply(weights, (float)(1.0 / distribution.Mass), probabilities);
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

    private static int Draw(ReadOnlySpan<float> logits, SamplingParameters parameters, double uniform, SamplingScratch scratch)
    {
        var vocab = logits.Length;
        var distribution = BuildDistribution(logits, parameters, scratch);
        if (!(distribution.Mass > 0))
        {
            // Every logit was -inf or NaN: nothing to draw from, so fall back to the argmax.
            return TensorPrimitives.IndexOfMax(logits);
        }

        var weights = scratch.Weights(vocab);
        var target = uniform * distribution.Mass;
        if (distribution.Sorted)
        {
            var cumulative = 0.0;
            var keys = scratch.SortKeys(vocab)[..distribution.Count];
            foreach (var key in keys)
            {
                cumulative += weights[TokenOf(key)];
                if (cumulative > target)
                {
                    return TokenOf(key);
                }
            }

            return TokenOf(keys[^1]);
        }

        return DrawUnsorted(weights, target);
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

    /// <summary>Softmax numerators at the temperature (max weight 1), then the top-k/top-p/min-p filters.</summary>
    private static SamplingDistribution BuildDistribution(ReadOnlySpan<float> logits, SamplingParameters parameters, SamplingScratch scratch)
    {
        var vocab = logits.Length;
        var weights = scratch.Weights(vocab);
        var keys = scratch.SortKeys(vocab);
        var max = TensorPrimitives.Max(logits);
        if (HasTopK(parameters, vocab))
        {
            var candidates = CollectTopKCandidates(logits, max, parameters, weights, keys);
            keys[..candidates].Sort();
            var count = Math.Min(candidates, parameters.TopK);
            return FinishFiltering(weights, keys, count, MassOf(weights, keys[..count]), parameters);
        }

        TensorPrimitives.Subtract(logits, max, weights);
        TensorPrimitives.Multiply(weights, 1f / parameters.Temperature, weights);
        TensorPrimitives.Exp(weights, weights);
        if (!HasTopP(parameters) && !HasMinP(parameters))
        {
            return new SamplingDistribution(false, vocab, Sum(weights));
        }

        var (total, totalMass) = CollectCandidates(weights, parameters, keys);
        keys[..total].Sort();
        return FinishFiltering(weights, keys, total, totalMass, parameters);
    }

    /// <summary>Top-p (of <paramref name="totalMass"/>) then min-p over sorted candidates; sums what is kept.</summary>
    private static SamplingDistribution FinishFiltering(ReadOnlySpan<float> weights, ReadOnlySpan<long> keys, int count, double totalMass, SamplingParameters parameters)
    {
        if (HasTopP(parameters))
        {
            count = TopPCount(weights, keys[..count], totalMass, parameters.TopP);
        }

        if (HasMinP(parameters))
        {
            count = MinPCount(weights, keys[..count], parameters.MinP);
        }

        return new SamplingDistribution(true, count, MassOf(weights, keys[..count]));
    }

    /// <summary>
    /// Top-k never needs the whole vocabulary's weights: candidates are bucketed by logit distance from the
    /// maximum (eight buckets per halving of probability), and only the buckets holding the top k are
    /// exponentiated and given sort keys.
    /// </summary>
    private static int CollectTopKCandidates(ReadOnlySpan<float> logits, float max, SamplingParameters parameters, Span<float> weights, Span<long> keys)
    {
        var inverseTemperature = 1f / parameters.Temperature;
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
            if (seen >= parameters.TopK)
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
    /// Writes sort keys for every token that can survive top-p / min-p, avoiding a full-vocabulary sort: weights
    /// are bucketed by binary exponent, and only buckets up to the one that must hold the cut-off are kept.
    /// </summary>
    private static (int Count, double TotalMass) CollectCandidates(ReadOnlySpan<float> weights, SamplingParameters parameters, Span<long> keys)
    {
        Span<double> masses = stackalloc double[BucketCount];
        masses.Clear();
        foreach (var weight in weights)
        {
            masses[Bucket(weight)] += weight;
        }

        var totalMass = 0.0;
        foreach (var mass in masses)
        {
            totalMass += mass;
        }

        var limit = CandidateBucketLimit(masses, totalMass, parameters);
        var count = 0;
        for (var id = 0; id < weights.Length; id++)
        {
            if (Bucket(weights[id]) <= limit)
            {
                keys[count++] = SortKey(weights[id], id);
            }
        }

        return (count, totalMass);
    }

    private static int CandidateBucketLimit(ReadOnlySpan<double> masses, double totalMass, SamplingParameters parameters)
    {
        var limit = BucketCount - 1;
        if (HasTopP(parameters))
        {
            // The nucleus lies in the first buckets holding the top_p mass; one more bucket absorbs rounding.
            var cumulative = 0.0;
            for (var b = 0; b < BucketCount; b++)
            {
                cumulative += masses[b];
                if (cumulative >= parameters.TopP * totalMass)
                {
                    limit = Math.Min(b + 1, BucketCount - 1);
                    break;
                }
            }
        }

        // Weights are relative to the maximum (1), so min-p keeps weight >= min_p: never a later bucket.
        return HasMinP(parameters) ? Math.Min(limit, Bucket(parameters.MinP)) : limit;
    }

    /// <summary>
    /// Smallest prefix of the sorted candidates holding top_p of <paramref name="totalMass"/> (the mass after
    /// top-k, or of the whole vocabulary), at least one.
    /// </summary>
    private static int TopPCount(ReadOnlySpan<float> weights, ReadOnlySpan<long> sorted, double totalMass, float topP)
    {
        var target = topP * totalMass;
        var cumulative = 0.0;
        for (var i = 0; i < sorted.Length; i++)
        {
            cumulative += weights[TokenOf(sorted[i])];
            if (cumulative >= target)
            {
                return i + 1;
            }
        }

        return sorted.Length;
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

    private static bool HasTopK(SamplingParameters parameters, int vocab) => parameters.TopK > 0 && parameters.TopK < vocab;

    private static bool HasTopP(SamplingParameters parameters) => parameters.TopP < 1f;

    private static bool HasMinP(SamplingParameters parameters) => parameters.MinP > 0f;

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

    /// <summary>Ascending keys order by weight descending, then token id ascending (non-negative floats sort as their bits).</summary>
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
}
