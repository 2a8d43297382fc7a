using System.Numerics.Tensors;

namespace LlmQueue.Engine.Sampling;

/// <summary>
/// Samples the next token of one request from its logits, in vLLM's order: repetition penalty (prompt and
/// output tokens), frequency and presence penalties (output tokens), temperature (0 = greedy), top-k, top-p,
/// min-p, renormalise, draw. Each request has its own seeded generator, so a seed reproduces the same tokens
/// whatever else is in the batch. Sampling allocates nothing: buffers are per thread.
/// </summary>
public sealed class SequenceSampler
{
    // Below this the temperature means greedy, as vLLM's _SAMPLING_EPS.
    private const float GreedyTemperature = 1e-5f;
    // Eight buckets per halving of the weight, covering weights down to 2^-32 of the maximum.
    private const int BucketCount = 256;
    private const int BucketsPerOctaveBits = 3;

    // Unfiltered draws sum the weights block by block (vectorised), then scan only the chosen block.
    private const int BlockSize = 2048;

    private readonly SamplingSettings _settings;
    private readonly int _vocabSize;
    private readonly Xoshiro256StarStar _random;
    private readonly HashSet<int> _seenTokens = [];
    private readonly Dictionary<int, int> _outputCounts = [];

    public SequenceSampler(SamplingSettings settings, IReadOnlyList<int> promptTokenIds, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(promptTokenIds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        _settings = settings;
        _vocabSize = vocabSize;
        _random = new Xoshiro256StarStar(unchecked((ulong)(settings.Seed ?? Random.Shared.NextInt64())));
        if (HasRepetitionPenalty)
        {
            foreach (var id in promptTokenIds)
            {
                if ((uint)id < (uint)vocabSize)
                {
                    _seenTokens.Add(id);
                }
            }
        }
    }

    private bool IsGreedy => _settings.Temperature < GreedyTemperature;

    private bool HasRepetitionPenalty => _settings.RepetitionPenalty != 1f;

    private bool HasOutputPenalties => _settings.FrequencyPenalty != 0f || _settings.PresencePenalty != 0f;

    private bool HasTopK => _settings.TopK > 0 && _settings.TopK < _vocabSize;

    private bool HasTopP => _settings.TopP < 1f;

    private bool HasMinP => _settings.MinP > 0f;

    /// <summary>
    /// Picks the next token and records it for later penalties. <paramref name="logits"/> (length = vocabulary)
    /// is modified in place by the penalties.
    /// </summary>
    public int Sample(Span<float> logits)
    {
        CheckLength(logits.Length, nameof(logits));
        ApplyPenalties(logits);
        var token = IsGreedy ? TensorPrimitives.IndexOfMax(logits) : Draw(logits);
        Record(token);
        return token;
    }

    /// <summary>The exact distribution <see cref="Sample"/> would draw from (for tests); records nothing.</summary>
    internal void ComputeProbabilities(Span<float> logits, Span<float> probabilities)
    {
        CheckLength(logits.Length, nameof(logits));
        CheckLength(probabilities.Length, nameof(probabilities));
        ApplyPenalties(logits);
        probabilities.Clear();
        if (IsGreedy)
        {
            probabilities[TensorPrimitives.IndexOfMax(logits)] = 1f;
            return;
        }

        var scratch = SamplingScratch.ForCurrentThread(_vocabSize);
        var distribution = BuildDistribution(logits, scratch);
        var weights = scratch.Weights(_vocabSize);
        if (distribution.Sorted)
        {
            foreach (var key in scratch.SortKeys(_vocabSize)[..distribution.Count])
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

    private void CheckLength(int length, string name)
    {
        if (length != _vocabSize)
        {
            throw new ArgumentException($"Expected {_vocabSize} values (the vocabulary size), got {length}.", name);
        }
    }

    private void ApplyPenalties(Span<float> logits)
    {
        if (HasRepetitionPenalty)
        {
            var penalty = _settings.RepetitionPenalty;
            foreach (var id in _seenTokens)
            {
                var logit = logits[id];
                logits[id] = logit > 0 ? logit / penalty : logit * penalty;
            }
        }

        if (HasOutputPenalties)
        {
            foreach (var (id, count) in _outputCounts)
            {
                logits[id] -= (_settings.FrequencyPenalty * count) + _settings.PresencePenalty;
            }
        }
    }

    private void Record(int token)
    {
        if (HasRepetitionPenalty)
        {
            _seenTokens.Add(token);
        }

        if (HasOutputPenalties)
        {
            _outputCounts[token] = _outputCounts.GetValueOrDefault(token) + 1;
        }
    }

    private int Draw(ReadOnlySpan<float> logits)
    {
        var scratch = SamplingScratch.ForCurrentThread(_vocabSize);
        var distribution = BuildDistribution(logits, scratch);
        if (!(distribution.Mass > 0))
        {
            // Every logit was -inf or NaN: nothing to draw from, so fall back to the argmax.
            return TensorPrimitives.IndexOfMax(logits);
        }

        var weights = scratch.Weights(_vocabSize);
        var target = _random.NextDouble() * distribution.Mass;
        if (distribution.Sorted)
        {
            var cumulative = 0.0;
            var keys = scratch.SortKeys(_vocabSize)[..distribution.Count];
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
    private SamplingDistribution BuildDistribution(ReadOnlySpan<float> logits, SamplingScratch scratch)
    {
        var weights = scratch.Weights(_vocabSize);
        var keys = scratch.SortKeys(_vocabSize);
        var max = TensorPrimitives.Max(logits);
        if (HasTopK)
        {
            var candidates = CollectTopKCandidates(logits, max, weights, keys);
            keys[..candidates].Sort();
            var count = Math.Min(candidates, _settings.TopK);
            return FinishFiltering(weights, keys, count, MassOf(weights, keys[..count]));
        }

        TensorPrimitives.Subtract(logits, max, weights);
        TensorPrimitives.Multiply(weights, 1f / _settings.Temperature, weights);
        TensorPrimitives.Exp(weights, weights);
        if (!HasTopP && !HasMinP)
        {
            return new SamplingDistribution(false, _vocabSize, Sum(weights));
        }

        var (total, totalMass) = CollectCandidates(weights, keys);
        keys[..total].Sort();
        return FinishFiltering(weights, keys, total, totalMass);
    }

    /// <summary>Top-p (of <paramref name="totalMass"/>) then min-p over sorted candidates; sums what is kept.</summary>
    private SamplingDistribution FinishFiltering(ReadOnlySpan<float> weights, ReadOnlySpan<long> keys, int count, double totalMass)
    {
        if (HasTopP)
        {
            count = TopPCount(weights, keys[..count], totalMass);
        }

        if (HasMinP)
        {
            count = MinPCount(weights, keys[..count]);
        }

        return new SamplingDistribution(true, count, MassOf(weights, keys[..count]));
    }

    /// <summary>
    /// Top-k never needs the whole vocabulary's weights: candidates are bucketed by logit distance from the
    /// maximum (eight buckets per halving of probability), and only the buckets holding the top k are
    /// exponentiated and given sort keys.
    /// </summary>
    private int CollectTopKCandidates(ReadOnlySpan<float> logits, float max, Span<float> weights, Span<long> keys)
    {
        var temperature = _settings.Temperature;
        var scale = (1 << BucketsPerOctaveBits) / (temperature * MathF.Log(2f));
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
            if (seen >= _settings.TopK)
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
                var weight = MathF.Exp((logits[id] - max) / temperature);
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
    private (int Count, double TotalMass) CollectCandidates(ReadOnlySpan<float> weights, Span<long> keys)
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

        var limit = CandidateBucketLimit(masses, totalMass);
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

    private int CandidateBucketLimit(ReadOnlySpan<double> masses, double totalMass)
    {
        var limit = BucketCount - 1;
        if (HasTopP)
        {
            // The nucleus lies in the first buckets holding the top_p mass; one more bucket absorbs rounding.
            var cumulative = 0.0;
            for (var b = 0; b < BucketCount; b++)
            {
                cumulative += masses[b];
                if (cumulative >= _settings.TopP * totalMass)
                {
                    limit = Math.Min(b + 1, BucketCount - 1);
                    break;
                }
            }
        }

        // Weights are relative to the maximum (1), so min-p keeps weight >= min_p: never a later bucket.
        return HasMinP ? Math.Min(limit, Bucket(_settings.MinP)) : limit;
    }

    /// <summary>
    /// Smallest prefix of the sorted candidates holding top_p of <paramref name="totalMass"/> (the mass after
    /// top-k, or of the whole vocabulary), at least one.
    /// </summary>
    private int TopPCount(ReadOnlySpan<float> weights, ReadOnlySpan<long> sorted, double totalMass)
    {
        var target = _settings.TopP * totalMass;
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
    private int MinPCount(ReadOnlySpan<float> weights, ReadOnlySpan<long> sorted)
    {
        var threshold = _settings.MinP * weights[TokenOf(sorted[0])];
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
