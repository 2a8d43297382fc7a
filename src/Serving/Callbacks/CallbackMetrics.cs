using System.Diagnostics.Metrics;

namespace LlmQueue.Serving.Callbacks;

/// <summary>Meter LlmQueue.Callbacks: attempts by outcome, attempt latency, deliveries given up.</summary>
public sealed class CallbackMetrics : IDisposable
{
    public const string MeterName = "LlmQueue.Callbacks";

    private readonly Meter _meter;
    private readonly Counter<long> _attempts;
    private readonly Histogram<double> _latency;
    private readonly Counter<long> _abandoned;

    public CallbackMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _attempts = _meter.CreateCounter<long>("llmq.callbacks.attempts", "{attempt}", "Callback POSTs, by outcome (delivered, gone, refused, failed)");
        _latency = _meter.CreateHistogram<double>("llmq.callbacks.duration", "s", "Time from sending a callback to its answer");
        _abandoned = _meter.CreateCounter<long>("llmq.callbacks.abandoned", "{delivery}", "Callbacks dead-lettered (refused, or still failing after Callbacks:RetryPeriodSeconds)");
    }

    public void Attempted(CallbackResult result, TimeSpan? duration)
    {
        _attempts.Add(1, new KeyValuePair<string, object?>("outcome", result.ToString().ToLowerInvariant()));
        if (duration is { } d)
        {
            _latency.Record(d.TotalSeconds);
        }
    }

    public void Abandoned() => _abandoned.Add(1);

    public void Dispose() => _meter.Dispose();
}
