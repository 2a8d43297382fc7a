namespace LlmQueue.Engine.Runners;

/// <summary>
/// What a step returns, one row per <see cref="ForwardBatch.Sampling"/> row, in batch order: the sampled token and,
/// where the row asked for logprobs, the sampled token's logprob and the top alternatives (most likely first, lower
/// id first on ties). Flat arrays, so a device runner copies them back in one transfer each; allocated once and
/// grown, never per step.
/// </summary>
public sealed class StepOutputs
{
    private int[] _tokens = [];
    private float[] _logprobs = [];
    private int[] _topIds = [];
    private float[] _topLogprobs = [];

    public int Rows { get; private set; }

    /// <summary>The sampled token of each row.</summary>
    public Span<int> SampledTokens => _tokens.AsSpan(0, Rows);

    /// <summary>Each row's sampled-token logprob; NaN for rows that did not ask.</summary>
    public Span<float> SampledLogprobs => _logprobs.AsSpan(0, Rows);

    /// <summary>Row <paramref name="row"/>'s top alternatives' ids (<see cref="SamplingParameters.MaxLogprobs"/> slots; the row's Logprobs count are set).</summary>
    public Span<int> TopTokenIds(int row) => _topIds.AsSpan(Slot(row), SamplingParameters.MaxLogprobs);

    /// <summary>Row <paramref name="row"/>'s top alternatives' logprobs, matching <see cref="TopTokenIds"/>.</summary>
    public Span<float> TopLogprobs(int row) => _topLogprobs.AsSpan(Slot(row), SamplingParameters.MaxLogprobs);

    /// <summary>Sizes the outputs for <paramref name="rows"/> rows; the engine calls it when it builds a batch.</summary>
    public void Reset(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (_tokens.Length < rows)
        {
            var capacity = Math.Max(rows, _tokens.Length * 2);
            _tokens = new int[capacity];
            _logprobs = new float[capacity];
            _topIds = new int[capacity * SamplingParameters.MaxLogprobs];
            _topLogprobs = new float[capacity * SamplingParameters.MaxLogprobs];
        }

        Rows = rows;
        _logprobs.AsSpan(0, rows).Fill(float.NaN);
    }

    private int Slot(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        return row * SamplingParameters.MaxLogprobs;
    }
}
