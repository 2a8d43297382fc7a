using System.Diagnostics;
using System.Diagnostics.Metrics;
using LlmQueue.Engine;
using LlmQueue.Serving.Operations;
using LlmQueue.Serving.Options;
using LlmQueue.Serving.Replies;
using LlmQueue.Transport;
using Microsoft.Extensions.Options;

namespace LlmQueue.Serving;

/// <summary>
/// The worker's meter (LlmQueue.Worker): what the transport took, how each delivery was settled, replies lost, the
/// per-request latency histograms vLLM publishes (TTFT, inter-token, end-to-end, queue time), and device memory when
/// a runner reports it. It also starts and tags each delivery's trace (<see cref="RequestActivity"/>).
/// </summary>
public sealed class ServingMetrics : IDisposable
{
    public const string MeterName = "LlmQueue.Worker";

    // Bucket bounds in seconds, vLLM's: TTFT from a millisecond to minutes; inter-token latency from 10 ms;
    // end-to-end and queue time from a fraction of a second to hours.
    private static readonly double[] s_ttftBuckets =
        [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560];

    private static readonly double[] s_interTokenBuckets =
        [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];

    private static readonly double[] s_requestBuckets =
        [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680];

    private readonly Meter _meter;
    private readonly string _transport;
    private readonly string _queue;
    private readonly Counter<long> _received;
    private readonly Counter<long> _settled;
    private readonly Counter<long> _undeliverable;
    private readonly Counter<long> _finished;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Histogram<double> _interTokenLatency;
    private readonly Histogram<double> _endToEnd;
    private readonly Histogram<double> _queueTime;

    /// <param name="deviceMemory">The runner's device memory, when it has any (GPU); null publishes no device gauges.</param>
    public ServingMetrics(IMeterFactory meterFactory, IOptions<TransportOptions> transport, IDeviceMemoryProbe? deviceMemory = null)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport.Value.Kind.ToString().ToLowerInvariant();
        _queue = transport.Value.RequestQueue;
        _meter = meterFactory.Create(MeterName);
        _received = _meter.CreateCounter<long>("llmq.transport.received", "{message}", "Request deliveries taken from the broker");
        _settled = _meter.CreateCounter<long>("llmq.transport.settled", "{message}", "Request deliveries settled, by outcome (complete, requeue, dead_letter) and dead-letter reason");
        _undeliverable = _meter.CreateCounter<long>("llmq.replies.undeliverable", "{reply}", "Replies the broker would never route (the request was dead-lettered)");
        _finished = _meter.CreateCounter<long>("llmq.request.finished", "{request}", "Requests answered with GenerateCompleted, by finish reason");
        _timeToFirstToken = Histogram("llmq.request.time_to_first_token", "From receipt to the first generated token", s_ttftBuckets);
        _interTokenLatency = Histogram("llmq.request.inter_token_latency", "Between consecutive generated tokens of a request", s_interTokenBuckets);
        _endToEnd = Histogram("llmq.request.e2e_latency", "From receipt to the final reply", s_requestBuckets);
        _queueTime = Histogram("llmq.request.queue_time", "From receipt to the engine's first schedule of the request", s_requestBuckets);
        if (deviceMemory is not null)
        {
            _meter.CreateObservableGauge("llmq.device.memory_used", () => Sample(deviceMemory, m => m.UsedBytes), "By", "Accelerator memory in use");
            _meter.CreateObservableGauge("llmq.device.memory_total", () => Sample(deviceMemory, m => m.TotalBytes), "By", "Accelerator memory");
        }
    }

    /// <summary>A delivery arrived: counted, and its trace started (dispose the result when the delivery is settled).</summary>
    public Activity? Received(InboundMessage message)
    {
        _received.Add(1);
        return RequestActivity.Start(message, _transport, _queue);
    }

    public void Settled(Settlement settlement)
    {
        var outcome = settlement.Kind switch
        {
            SettlementKind.Complete => "complete",
            SettlementKind.Requeue => "requeue",
            _ => "dead_letter",
        };
        _settled.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("reason", settlement.Reason ?? ""));
        RequestActivity.Settled(Activity.Current, outcome, settlement);
    }

    public void Undeliverable() => _undeliverable.Add(1);

    /// <summary>Times one request's tokens as they are read from the engine.</summary>
    public InterTokenClock StartTokenClock() => new(_interTokenLatency);

    /// <summary>The final reply of a generation was sent.</summary>
    /// <param name="receivedTimestamp">Stopwatch timestamp of the delivery's receipt.</param>
    public void Finished(string requestId, GenerationResult result, long receivedTimestamp)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.CompletionTokens > 0)
        {
            _timeToFirstToken.Record(result.TtftMs / 1000);
        }

        _queueTime.Record(result.QueuedMs / 1000);
        _endToEnd.Record(Stopwatch.GetElapsedTime(receivedTimestamp).TotalSeconds);
        // Counted last: whoever sees the request finished also sees its latencies.
        var finishReason = ReplyMapper.ToFinishReason(result.FinishReason);
        _finished.Add(1, new KeyValuePair<string, object?>("finish_reason", finishReason));
        RequestActivity.Finished(Activity.Current, requestId, finishReason, result);
    }

    public void Dispose() => _meter.Dispose();

    private Histogram<double> Histogram(string name, string description, double[] buckets) =>
        _meter.CreateHistogram(name, "s", description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });

    private static IEnumerable<Measurement<long>> Sample(IDeviceMemoryProbe probe, Func<DeviceMemory, long> field) =>
        probe.Read() is { } memory ? [new Measurement<long>(field(memory))] : [];
}
