using System.Diagnostics.Metrics;
using LlmQueue.Transport;

namespace LlmQueue.Serving;

/// <summary>The worker's meter (LlmQueue.Worker): what the transport took, how each delivery was settled, replies lost.</summary>
public sealed class ServingMetrics : IDisposable
{
    public const string MeterName = "LlmQueue.Worker";

    private readonly Meter _meter;
    private readonly Counter<long> _received;
    private readonly Counter<long> _settled;
    private readonly Counter<long> _undeliverable;

    public ServingMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _received = _meter.CreateCounter<long>("llmq.transport.received", "{message}", "Request deliveries taken from the broker");
        _settled = _meter.CreateCounter<long>("llmq.transport.settled", "{message}", "Request deliveries settled, by outcome (complete, requeue, dead_letter) and dead-letter reason");
        _undeliverable = _meter.CreateCounter<long>("llmq.replies.undeliverable", "{reply}", "Replies the broker would never route (the request was dead-lettered)");
    }

    public void Received() => _received.Add(1);

    public void Settled(Settlement settlement) => _settled.Add(1,
        new KeyValuePair<string, object?>("outcome", settlement.Kind switch
        {
            SettlementKind.Complete => "complete",
            SettlementKind.Requeue => "requeue",
            _ => "dead_letter",
        }),
        new KeyValuePair<string, object?>("reason", settlement.Reason ?? ""));

    public void Undeliverable() => _undeliverable.Add(1);

    public void Dispose() => _meter.Dispose();
}
