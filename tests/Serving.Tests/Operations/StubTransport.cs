using LlmQueue.Transport;

namespace LlmQueue.Serving.Tests.Operations;

/// <summary>A transport whose health the test sets; it never receives anything.</summary>
internal sealed class StubTransport : IWorkerTransport
{
    public string Description => "stub";

    public IReplyPublisher Replies => throw new NotSupportedException();

    public TransportHealth Health { get; set; } = TransportHealth.Now(TransportState.Starting);

    public bool FansOutCancels => true;

    public Task StartAsync(IDeliveryHandler handler, ITransportCapacity capacity, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopReceivingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ScheduleAsync(string queue, OutboundMessage message, TimeSpan delay, CancellationToken cancellationToken) => throw new NotSupportedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
