namespace LlmQueue.Engine.Cpu.Sampling;

/// <summary>
/// The result of filtering: either all weights (unsorted) or the first <see cref="Count"/> sorted candidates;
/// <see cref="Mass"/> is the sum of the kept weights, used to renormalise.
/// </summary>
internal readonly record struct SamplingDistribution(bool Sorted, int Count, double Mass);
