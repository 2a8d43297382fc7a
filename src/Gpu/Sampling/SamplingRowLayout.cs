namespace LlmQueue.Gpu.Sampling;

/// <summary>
/// sampling.cu's row words: each logits row's parameters as <see cref="RowInts"/> int32 (floats as their bits), and
/// each row's logprob record of <see cref="RecordInts"/> int32 (the sampled token's logprob, then
/// <see cref="SamplingParameters.MaxLogprobs"/> top ids, then as many top logprobs). The offsets are the kernel's
/// ROW_* defines.
/// </summary>
public static class SamplingRowLayout
{
    public const int RowInts = 16;
    public const int RecordInts = 1 + (2 * SamplingParameters.MaxLogprobs);

    public const int Temperature = 0;
    public const int TopK = 1;
    public const int TopP = 2;
    public const int MinP = 3;
    public const int Presence = 4;
    public const int Frequency = 5;
    public const int Repetition = 6;
    public const int SeedLow = 7;
    public const int SeedHigh = 8;
    public const int Position = 9;
    public const int Logprobs = 10;
    public const int PenaltyOffset = 11;
    public const int PenaltyCount = 12;

    /// <summary>Masses are sums of weights times 2^40, truncated to integers (sampling.cu's FIXED_ONE).</summary>
    public const double FixedOne = 1099511627776.0;

    /// <summary>A weight in the kernels' fixed point.</summary>
    public static ulong Fixed(float weight) => (ulong)(weight * FixedOne);
}
