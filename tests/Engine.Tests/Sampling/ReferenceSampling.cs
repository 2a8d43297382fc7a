namespace LlmQueue.Engine.Tests.Sampling;

/// <summary>
/// A straightforward fp64 statement of vLLM's sampling semantics (full sorts, no shortcuts) to check the
/// sampler against.
/// </summary>
internal static class ReferenceSampling
{
    public static double[] ApplyPenalties(
        float[] logits, IEnumerable<int> prompt, IReadOnlyList<int> output,
        double repetition, double frequency, double presence)
    {
        var result = logits.Select(l => (double)l).ToArray();
        foreach (var id in prompt.Concat(output).Distinct())
        {
            result[id] = result[id] > 0 ? result[id] / repetition : result[id] * repetition;
        }

        foreach (var group in output.GroupBy(id => id))
        {
            result[group.Key] -= (frequency * group.Count()) + presence;
        }

        return result;
    }

    public static double[] Probabilities(double[] logits, double temperature, int topK = 0, double topP = 1, double minP = 0)
    {
        var max = logits.Max();
        var numerators = logits.Select(l => Math.Exp((l - max) / temperature)).ToArray();
        var sum = numerators.Sum();
        var p = numerators.Select(e => e / sum).ToArray();
        var kept = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ThenBy(i => i).ToList();
        if (topK > 0)
        {
            kept = kept.Take(topK).ToList();
        }

        if (topP < 1)
        {
            var keptMass = kept.Sum(i => p[i]);
            var cumulative = 0.0;
            var count = 0;
            while (count < kept.Count && cumulative < topP * keptMass)
            {
                cumulative += p[kept[count++]];
            }

            kept = kept.Take(Math.Max(count, 1)).ToList();
        }

        if (minP > 0)
        {
            var largest = p[kept[0]];
            kept = kept.Where(i => p[i] >= minP * largest).ToList();
        }

        var total = kept.Sum(i => p[i]);
        var result = new double[p.Length];
        foreach (var i in kept)
        {
            result[i] = p[i] / total;
        }

        return result;
    }

    public static float[] RandomLogits(int vocabSize, int seed, double scale = 3)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, vocabSize).Select(_ => (float)(random.NextDouble() * 2 - 1) * (float)scale).ToArray();
    }
}
