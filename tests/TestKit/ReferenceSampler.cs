using LlmQueue.Engine.Runners;

namespace LlmQueue.TestKit;

/// <summary>
/// A straightforward fp64 statement of the sampling recipe of docs/ARCHITECTURE.md (vLLM's semantics; full sorts,
/// no shortcuts), to check runners against. <see cref="Decide"/> also says whether its choice is decisive: whether
/// logits off by up to a tolerance could have changed it (a near tie, a filter cut-off or the draw falling near a
/// boundary), so a runner with its own rounding is held to the reference exactly where that is fair.
/// </summary>
public static class ReferenceSampler
{
    /// <summary>Repetition over the distinct tokens of the whole history, then frequency and presence over the output.</summary>
    public static double[] ApplyPenalties(
        IReadOnlyList<double> logits, IReadOnlyList<int> tokens, int promptLength, double repetition, double frequency, double presence)
    {
        var result = logits.ToArray();
        foreach (var id in tokens.Distinct())
        {
            result[id] = result[id] > 0 ? result[id] / repetition : result[id] * repetition;
        }

        foreach (var group in tokens.Skip(promptLength).GroupBy(id => id))
        {
            result[group.Key] -= (frequency * group.Count()) + presence;
        }

        return result;
    }

    public static double[] ApplyPenalties(IReadOnlyList<double> logits, SamplingParameters parameters, IReadOnlyList<int> tokens, int promptLength) =>
        ApplyPenalties(logits, tokens, promptLength, parameters.RepetitionPenalty, parameters.FrequencyPenalty, parameters.PresencePenalty);

    /// <summary>The filtered, renormalised distribution at <paramref name="temperature"/> (penalties already applied).</summary>
    public static double[] Probabilities(double[] logits, double temperature, int topK = 0, double topP = 1, double minP = 0)
    {
        var weights = Weights(logits, 1 / temperature);
        var kept = Kept(weights, topK, topP, minP);
        var total = kept.Sum(i => weights[i]);
        var result = new double[weights.Length];
        foreach (var i in kept)
        {
            result[i] = weights[i] / total;
        }

        return result;
    }

    /// <summary>Log-softmax at <paramref name="scale"/> = 1 / temperature (1 for greedy): the logprobs a runner reports.</summary>
    public static double[] LogSoftmax(IReadOnlyList<double> logits, double scale)
    {
        var max = logits.Max();
        var logSum = Math.Log(logits.Sum(l => Math.Exp((l - max) * scale)));
        return [.. logits.Select(l => ((l - max) * scale) - logSum)];
    }

    /// <summary>The logprobs the row's parameters report for raw <paramref name="logits"/> and this history.</summary>
    public static double[] Logprobs(IReadOnlyList<double> logits, SamplingParameters parameters, IReadOnlyList<int> tokens, int promptLength) =>
        LogSoftmax(ApplyPenalties(logits, parameters, tokens, promptLength), parameters.IsGreedy ? 1 : 1 / parameters.Temperature);

    /// <summary>
    /// The token the recipe picks after <paramref name="tokens"/> (its history, <paramref name="promptLength"/> of them
    /// prompt) from raw <paramref name="logits"/>, drawing with the uniform of (seed, position = tokens.Count); and
    /// whether no logit error up to <paramref name="logitTolerance"/> could change the choice.
    /// </summary>
    public static (int Token, bool Decisive) Decide(
        IReadOnlyList<double> logits, SamplingParameters parameters, IReadOnlyList<int> tokens, int promptLength, double logitTolerance)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var penalised = ApplyPenalties(logits, parameters, tokens, promptLength);
        if (parameters.IsGreedy)
        {
            var order = SortedByWeight(penalised);
            var gap = order.Length > 1 ? penalised[order[0]] - penalised[order[1]] : double.PositiveInfinity;
            return (order[0], gap > 2 * logitTolerance);
        }

        var scale = 1 / (double)parameters.Temperature;
        // Each weight exp((l - max) x scale) is off by a factor within (1 + r) when every logit (and so the max) is off by the tolerance.
        var r = Math.Exp(2 * logitTolerance * scale) - 1;
        var weights = Weights(penalised, scale);
        var filtered = (parameters.TopK > 0 && parameters.TopK < weights.Length) || parameters.TopP < 1 || parameters.MinP > 0;
        // The draw walks the kept tokens in id order.
        var candidates = filtered ? [.. Kept(weights, parameters.TopK, parameters.TopP, parameters.MinP).Order()] : Enumerable.Range(0, weights.Length).ToArray();
        var decisive = !filtered || FiltersDecisive(weights, parameters, r);
        var mass = candidates.Sum(i => weights[i]);
        var target = SamplingRandom.Uniform(parameters.Seed, tokens.Count) * mass;
        var cumulative = 0.0;
        for (var j = 0; j < candidates.Length; j++)
        {
            var before = cumulative;
            cumulative += weights[candidates[j]];
            if (cumulative > target || j == candidates.Length - 1)
            {
                decisive &= target - before > 2 * r * mass && cumulative - target > 2 * r * mass;
                return (candidates[j], decisive);
            }
        }

        throw new InvalidOperationException("unreachable: the walk always ends at the last candidate");
    }

    public static float[] RandomLogits(int vocabSize, int seed, double scale = 3)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, vocabSize).Select(_ => (float)(random.NextDouble() * 2 - 1) * (float)scale)];
    }

    private static double[] Weights(IReadOnlyList<double> logits, double scale)
    {
        var max = logits.Max();
        return [.. logits.Select(l => Math.Exp((l - max) * scale))];
    }

    /// <summary>Token ids by weight, largest first, lower id first on ties.</summary>
    private static int[] SortedByWeight(double[] weights) =>
        [.. Enumerable.Range(0, weights.Length).OrderByDescending(i => weights[i]).ThenBy(i => i)];

    /// <summary>Top-k, then top-p of the mass left, then min-p relative to the largest; the kept ids in probability order.</summary>
    private static int[] Kept(double[] weights, int topK, double topP, double minP)
    {
        var kept = SortedByWeight(weights).ToList();
        if (topK > 0 && topK < kept.Count)
        {
            kept = kept.Take(topK).ToList();
        }

        if (topP < 1)
        {
            var keptMass = kept.Sum(i => weights[i]);
            var cumulative = 0.0;
            var count = 0;
            while (count < kept.Count && cumulative < topP * keptMass)
            {
                cumulative += weights[kept[count++]];
            }

            kept = kept.Take(Math.Max(count, 1)).ToList();
        }

        if (minP > 0)
        {
            var largest = weights[kept[0]];
            kept = kept.Where(i => weights[i] >= minP * largest).ToList();
        }

        return [.. kept];
    }

    /// <summary>Whether weights off by factors within (1 + r) keep every filter's cut where it is.</summary>
    private static bool FiltersDecisive(double[] weights, SamplingParameters parameters, double r)
    {
        var sorted = SortedByWeight(weights);
        var k = parameters.TopK > 0 && parameters.TopK < sorted.Length ? parameters.TopK : sorted.Length;
        if (k < sorted.Length && !Apart(weights, sorted, k - 1, k, r))
        {
            return false;
        }

        if (parameters.TopP < 1)
        {
            var mass = sorted.Take(k).Sum(i => weights[i]);
            var target = parameters.TopP * mass;
            var cumulative = 0.0;
            var margin = 2 * r * mass;
            for (var c = 0; c < k; c++)
            {
                cumulative += weights[sorted[c]];
                if (Math.Abs(cumulative - target) <= margin)
                {
                    return false;
                }

                if (cumulative >= target)
                {
                    if (!Apart(weights, sorted, c, c + 1, r))
                    {
                        return false;
                    }

                    break;
                }
            }
        }

        if (parameters.MinP > 0)
        {
            var threshold = parameters.MinP * weights[sorted[0]];
            var band = (1 + r) * (1 + r);
            if (weights.Any(w => w > threshold / band && w < threshold * band))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether entries a and b of the order (b may run past its end) differ by more than weight errors can close.</summary>
    private static bool Apart(double[] weights, int[] order, int a, int b, double r) =>
        a < 0 || b >= order.Length || weights[order[a]] > weights[order[b]] * (1 + r) * (1 + r);
}
