namespace LlmQueue.Gpu.Sampling;

/// <summary>
/// Lays out a step's sampling rows as sampling.cu reads them: per row its parameters (<see cref="SamplingRowLayout"/>)
/// and, for rows with penalties, one (token, times in the output) entry per distinct token of the history (every
/// distinct token under a repetition penalty; only output tokens otherwise), counted here with generation marks in
/// O(history). Padding rows (a graph bucket's) are greedy with no logprobs and no penalties.
/// </summary>
public sealed class SamplingPacker
{
    private readonly int[] _mark;
    private readonly int[] _count;
    private readonly List<int> _distinct = [];
    private int _generation;

    public SamplingPacker(int vocab)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocab);
        _mark = new int[vocab];
        _count = new int[vocab];
    }

    /// <summary>Penalty entries the rows of <paramref name="rows"/> need (an upper bound: history lengths).</summary>
    public static long PenaltyEntriesBound(IReadOnlyList<SamplingRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        long bound = 0;
        foreach (var row in rows)
        {
            if (row.Parameters.HasRepetitionPenalty || row.Parameters.HasOutputPenalties)
            {
                bound += row.Tokens.Length;
            }
        }

        return bound;
    }

    /// <summary>
    /// Writes <paramref name="rows"/> padded to <paramref name="paddedRows"/> into <paramref name="rowWords"/> and their
    /// penalty entries into <paramref name="penalties"/> (pairs; at least twice <see cref="PenaltyEntriesBound"/>).
    /// Returns the entries written.
    /// </summary>
    public int Pack(IReadOnlyList<SamplingRow> rows, int paddedRows, Span<int> rowWords, Span<int> penalties)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(paddedRows, rows.Count);
        int entries = 0;
        for (int r = 0; r < paddedRows; r++)
        {
            var words = rowWords.Slice(r * SamplingRowLayout.RowInts, SamplingRowLayout.RowInts);
            words.Clear();
            if (r >= rows.Count)
            {
                words[SamplingRowLayout.Temperature] = BitConverter.SingleToInt32Bits(0f);
                words[SamplingRowLayout.TopP] = BitConverter.SingleToInt32Bits(1f);
                words[SamplingRowLayout.Repetition] = BitConverter.SingleToInt32Bits(1f);
                words[SamplingRowLayout.Logprobs] = SamplingParameters.NoLogprobs;
                continue;
            }

            var row = rows[r];
            var p = row.Parameters;
            words[SamplingRowLayout.Temperature] = BitConverter.SingleToInt32Bits(p.Temperature);
            words[SamplingRowLayout.TopK] = p.TopK;
            words[SamplingRowLayout.TopP] = BitConverter.SingleToInt32Bits(p.TopP);
            words[SamplingRowLayout.MinP] = BitConverter.SingleToInt32Bits(p.MinP);
            words[SamplingRowLayout.Presence] = BitConverter.SingleToInt32Bits(p.PresencePenalty);
            words[SamplingRowLayout.Frequency] = BitConverter.SingleToInt32Bits(p.FrequencyPenalty);
            words[SamplingRowLayout.Repetition] = BitConverter.SingleToInt32Bits(p.RepetitionPenalty);
            words[SamplingRowLayout.SeedLow] = unchecked((int)(uint)p.Seed);
            words[SamplingRowLayout.SeedHigh] = unchecked((int)(uint)(p.Seed >> 32));
            words[SamplingRowLayout.Position] = row.Position;
            words[SamplingRowLayout.Logprobs] = p.Logprobs;
            words[SamplingRowLayout.PenaltyOffset] = entries;
            int count = p.HasRepetitionPenalty || p.HasOutputPenalties ? WriteEntries(row, penalties[(2 * entries)..]) : 0;
            words[SamplingRowLayout.PenaltyCount] = count;
            entries += count;
        }

        return entries;
    }

    /// <summary>Copies the device's answers for <paramref name="rows"/> rows into <paramref name="outputs"/>.</summary>
    public static void Unpack(ReadOnlySpan<int> tokens, ReadOnlySpan<int> records, IReadOnlyList<SamplingRow> rows, StepOutputs outputs)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(outputs);
        for (int r = 0; r < rows.Count; r++)
        {
            outputs.SampledTokens[r] = tokens[r];
            int wanted = rows[r].Parameters.Logprobs;
            if (wanted < 0)
            {
                continue;
            }

            var record = records.Slice(r * SamplingRowLayout.RecordInts, SamplingRowLayout.RecordInts);
            outputs.SampledLogprobs[r] = BitConverter.Int32BitsToSingle(record[0]);
            record.Slice(1, wanted).CopyTo(outputs.TopTokenIds(r));
            var logprobs = outputs.TopLogprobs(r);
            for (int i = 0; i < wanted; i++)
            {
                logprobs[i] = BitConverter.Int32BitsToSingle(record[1 + SamplingParameters.MaxLogprobs + i]);
            }
        }
    }

    private int WriteEntries(SamplingRow row, Span<int> penalties)
    {
        if (++_generation == int.MaxValue)
        {
            Array.Clear(_mark);
            _generation = 1;
        }

        _distinct.Clear();
        var history = row.Tokens.Span;
        for (int i = 0; i < history.Length; i++)
        {
            int token = history[i];
            if (_mark[token] != _generation)
            {
                _mark[token] = _generation;
                _count[token] = 0;
                _distinct.Add(token);
            }

            if (i >= row.PromptLength)
            {
                _count[token]++;
            }
        }

        bool everyToken = row.Parameters.HasRepetitionPenalty;
        int written = 0;
        foreach (int token in _distinct)
        {
            if (everyToken || _count[token] > 0)
            {
                penalties[2 * written] = token;
                penalties[(2 * written) + 1] = _count[token];
                written++;
            }
        }

        return written;
    }
}
