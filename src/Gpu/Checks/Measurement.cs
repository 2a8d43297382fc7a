namespace LlmQueue.Gpu.Checks;

/// <summary>One figure of a GPU run: what, the median of its repeats, its unit, and what it is compared against.</summary>
public sealed record Measurement(string Name, double Median, string Unit, string Detail);
