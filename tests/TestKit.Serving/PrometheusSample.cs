namespace LlmQueue.TestKit.Serving;

/// <summary>One line of a Prometheus text exposition: a series (name and labels) and its value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    /// <summary>Whether every one of <paramref name="labels"/> is on this sample with that value (others may be too).</summary>
    public bool Has(IEnumerable<(string Name, string Value)> labels) =>
        labels.All(label => Labels.TryGetValue(label.Name, out var value) && value == label.Value);
}
