namespace LlmQueue.TestKit.Serving;

/// <summary>One histogram series of a scrape: observations, their sum, and cumulative counts per upper bound (le).</summary>
public sealed record PrometheusHistogram(double Count, double Sum, IReadOnlyList<(double Bound, double Count)> Buckets);
