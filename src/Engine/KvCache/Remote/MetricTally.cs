using System.Diagnostics.Metrics;

namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>One counter instrument (with fixed tags) plus its running total, so a count is both exported and readable.</summary>
internal sealed class MetricTally(Counter<long> counter, params KeyValuePair<string, object?>[] tags)
{
    private long _total;

    public long Total => Interlocked.Read(ref _total);

    public void Add(long value)
    {
        Interlocked.Add(ref _total, value);
        counter.Add(value, tags);
    }
}
