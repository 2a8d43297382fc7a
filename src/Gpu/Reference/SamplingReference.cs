using LlmQueue.Gpu.Sampling;

namespace LlmQueue.Gpu.Reference;

/// <summary>
/// C# twins of sampling.cu, row by row: the same f32 steps, the same 2^-40 fixed-point masses and the same cuts, so
/// the fake driver samples the tokens the kernel does (sums of exponentials for logprobs are the one place the order of
/// additions differs). Written as the recipe reads (sorting where the kernel radix-selects), to be checked against
/// TestKit's independent fp64 sampler.
/// </summary>
internal static class SamplingReference
{
    public static void ApplyPenalties(KernelInputs inputs)
    {
        int rows = inputs.I32("rows");
        int vocab = inputs.I32("vocab");
        for (int r = 0; r < rows; r++)
        {
            var p = inputs.Buffer<int>("row_params", (long)r * SamplingRowLayout.RowInts, SamplingRowLayout.RowInts);
            int count = p[SamplingRowLayout.PenaltyCount];
            if (count == 0)
            {
                continue;
            }

            float repetition = BitConverter.Int32BitsToSingle(p[SamplingRowLayout.Repetition]);
            float frequency = BitConverter.Int32BitsToSingle(p[SamplingRowLayout.Frequency]);
            float presence = BitConverter.Int32BitsToSingle(p[SamplingRowLayout.Presence]);
            var entries = inputs.Buffer<int>("penalties", 2L * p[SamplingRowLayout.PenaltyOffset], 2L * count);
            var row = inputs.Buffer<float>("logits", (long)r * vocab, vocab);
            for (int i = 0; i < count; i++)
            {
                int token = entries[2 * i];
                int seen = entries[(2 * i) + 1];
                float l = row[token];
                if (repetition != 1f)
                {
                    l = l > 0 ? l / repetition : l * repetition;
                }

                if ((frequency != 0f || presence != 0f) && seen > 0)
                {
                    l -= (frequency * seen) + presence;
                }

                row[token] = l;
            }
        }
    }

    public static void SampleRows(KernelInputs inputs)
    {
        int rows = inputs.I32("rows");
        int vocab = inputs.I32("vocab");
        for (int r = 0; r < rows; r++)
        {
            var p = inputs.Buffer<int>("row_params", (long)r * SamplingRowLayout.RowInts, SamplingRowLayout.RowInts);
            var logits = inputs.Buffer<float>("logits", (long)r * vocab, vocab);
            var weights = inputs.Buffer<float>("weights", (long)r * vocab, vocab);
            int token = SampleRow(logits, weights, p);
            inputs.Buffer<int>("out_tokens", r, 1)[0] = token;
            int wanted = p[SamplingRowLayout.Logprobs];
            if (wanted >= 0)
            {
                WriteLogprobs(logits, p, token, wanted, inputs.Buffer<int>("out_records", (long)r * SamplingRowLayout.RecordInts, SamplingRowLayout.RecordInts));
            }
        }
    }

    private static int SampleRow(ReadOnlySpan<float> logits, Span<float> weights, ReadOnlySpan<int> p)
    {
        float temperature = BitConverter.Int32BitsToSingle(p[SamplingRowLayout.Temperature]);
        var (max, anyNaN) = MaxOf(logits);
        if (temperature < SamplingParameters.GreedyTemperature || anyNaN || !float.IsFinite(max))
        {
            return ArgMax(logits);
        }

        float scale = 1f / temperature;
        for (int i = 0; i < logits.Length; i++)
        {
            weights[i] = MathF.Exp((logits[i] - max) * scale);
        }

        int topK = p[SamplingRowLayout.TopK];
        float topP = BitConverter.Int32BitsToSingle(p[SamplingRowLayout.TopP]);
        float minP = BitConverter.Int32BitsToSingle(p[SamplingRowLayout.MinP]);
        uint cut = 0;
        ulong cutTies = ulong.MaxValue;
        if ((topK > 0 && topK < weights.Length) || topP < 1f || minP > 0f)
        {
            var keys = SortedKeys(weights);
            uint kept = KeptCount(weights, keys, topK, topP, minP);
            if (kept == 0)
            {
                return ArgMax(logits);
            }

            cut = keys[(int)kept - 1];
            cutTies = kept - (uint)CountAbove(keys, cut);
        }

        double uniform = SamplingRandom.Uniform(((ulong)(uint)p[SamplingRowLayout.SeedHigh] << 32) | (uint)p[SamplingRowLayout.SeedLow], (uint)p[SamplingRowLayout.Position]);
        int drawn = Draw(weights, cut, cutTies, uniform);
        return drawn >= 0 ? drawn : ArgMax(logits);
    }

    /// <summary>sampling.cu's kept_count: the kept prefix length of (weight descending, id ascending).</summary>
    private static uint KeptCount(ReadOnlySpan<float> weights, uint[] keys, int topK, float topP, float minP)
    {
        bool hasTopK = topK > 0 && topK < weights.Length;
        uint kept = hasTopK ? (uint)topK : (uint)weights.Length;
        if (topP < 1f)
        {
            ulong candidates = 0;
            for (int i = 0; i < (int)kept; i++)
            {
                candidates += SamplingRowLayout.Fixed(BitConverter.UInt32BitsToSingle(keys[i]));
            }

            double target = topP * (double)candidates;
            // The first distinct key (descending) whose cumulative mass reaches the target, and the mass above it.
            ulong massAbove = 0;
            int above = 0;
            while (above < keys.Length)
            {
                uint key = keys[above];
                int end = above;
                ulong group = 0;
                while (end < keys.Length && keys[end] == key)
                {
                    group += SamplingRowLayout.Fixed(BitConverter.UInt32BitsToSingle(key));
                    end++;
                }

                if ((double)(massAbove + group) >= target || end == keys.Length)
                {
                    break;
                }

                massAbove += group;
                above = end;
            }

            ulong f = SamplingRowLayout.Fixed(BitConverter.UInt32BitsToSingle(keys[Math.Min(above, keys.Length - 1)]));
            ulong j = 1;
            if (f > 0 && target > massAbove)
            {
                double estimate = Math.Ceiling((target - massAbove) / f);
                j = estimate < 1.0 ? 1UL : (ulong)estimate;
                while (j > 1 && (double)(massAbove + ((j - 1) * f)) >= target)
                {
                    j--;
                }

                while ((double)(massAbove + (j * f)) < target && j < (ulong)weights.Length)
                {
                    j++;
                }
            }

            kept = (uint)Math.Min(kept, (ulong)above + j);
        }

        if (minP > 0f)
        {
            uint atLeast = 0;
            foreach (float w in weights)
            {
                atLeast += w >= minP ? 1u : 0u;
            }

            kept = Math.Min(kept, atLeast);
        }

        return kept;
    }

    /// <summary>Inverse-CDF draw in id order over the kept set in fixed point; -1 when the kept mass is zero.</summary>
    private static int Draw(ReadOnlySpan<float> weights, uint cut, ulong cutTies, double uniform)
    {
        ulong mass = 0;
        ulong rank = 0;
        int last = -1;
        for (int i = 0; i < weights.Length; i++)
        {
            if (IsKept(BitConverter.SingleToUInt32Bits(weights[i]), cut, cutTies, ref rank))
            {
                mass += SamplingRowLayout.Fixed(weights[i]);
                last = i;
            }
        }

        if (mass == 0)
        {
            return -1;
        }

        ulong target = (ulong)(uniform * mass);
        if (target >= mass)
        {
            return last;
        }

        ulong running = 0;
        rank = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (IsKept(BitConverter.SingleToUInt32Bits(weights[i]), cut, cutTies, ref rank))
            {
                running += SamplingRowLayout.Fixed(weights[i]);
                if (running > target)
                {
                    return i;
                }
            }
        }

        return last;
    }

    private static bool IsKept(uint key, uint cut, ulong cutTies, ref ulong rank) =>
        key != cut ? key > cut : rank++ < cutTies;

    private static void WriteLogprobs(ReadOnlySpan<float> logits, ReadOnlySpan<int> p, int token, int wanted, Span<int> record)
    {
        float temperature = BitConverter.Int32BitsToSingle(p[SamplingRowLayout.Temperature]);
        float scale = temperature < SamplingParameters.GreedyTemperature ? 1f : 1f / temperature;
        var (max, anyNaN) = MaxOf(logits);
        float m = anyNaN ? float.NaN : max;
        double sum = 0;
        foreach (float l in logits)
        {
            sum += MathF.Exp((l - m) * scale);
        }

        double logSum = Math.Log(sum);
        var values = logits.ToArray();
        var top = Enumerable.Range(0, values.Length).Where(i => !float.IsNaN(values[i])).ToArray();
        Array.Sort(top, (a, b) => values[a] != values[b] ? values[b].CompareTo(values[a]) : a.CompareTo(b));
        int n = Math.Min(wanted, top.Length);
        for (int i = 0; i < n; i++)
        {
            record[1 + i] = top[i];
            record[1 + SamplingParameters.MaxLogprobs + i] = BitConverter.SingleToInt32Bits((float)(((logits[top[i]] - m) * scale) - logSum));
        }

        record[0] = BitConverter.SingleToInt32Bits((float)(((logits[token] - m) * scale) - logSum));
    }

    private static (float Max, bool AnyNaN) MaxOf(ReadOnlySpan<float> logits)
    {
        float max = float.NegativeInfinity;
        bool anyNaN = false;
        foreach (float l in logits)
        {
            if (float.IsNaN(l))
            {
                anyNaN = true;
            }
            else if (l > max)
            {
                max = l;
            }
        }

        return (max, anyNaN);
    }

    /// <summary>The lowest id of the largest value, NaN counting as largest (the host's IndexOfMax).</summary>
    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            bool nan = float.IsNaN(values[i]);
            bool bestNaN = float.IsNaN(values[best]);
            if ((nan && !bestNaN) || (!nan && !bestNaN && values[i] > values[best]))
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Weight bits (which order as the weights, all >= 0), largest first.</summary>
    private static uint[] SortedKeys(ReadOnlySpan<float> weights)
    {
        var keys = new uint[weights.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = BitConverter.SingleToUInt32Bits(weights[i]);
        }

        Array.Sort(keys);
        Array.Reverse(keys);
        return keys;
    }

    private static int CountAbove(uint[] descending, uint key)
    {
        int count = 0;
        while (count < descending.Length && descending[count] > key)
        {
            count++;
        }

        return count;
    }
}
