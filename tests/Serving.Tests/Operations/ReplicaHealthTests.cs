using LlmQueue.Serving.Hosting;
using LlmQueue.Serving.Operations;
using LlmQueue.Transport;

namespace LlmQueue.Serving.Tests.Operations;

public sealed class ReplicaHealthTests : IAsyncDisposable
{
    private readonly WorkerState _state = new();
    private readonly StubTransport _transport = new();

    private ReplicaHealth Health => new(_state, _transport);

    public ValueTask DisposeAsync() => _transport.DisposeAsync();

    [Fact]
    public void Ready_only_with_the_engine_running_the_transport_receiving_and_no_drain()
    {
        _state.MarkEngineRunning();
        _transport.Health = TransportHealth.Now(TransportState.Receiving);

        Assert.Equal(new ProbeResult(true, "ready"), Health.Readiness());
    }

    [Fact]
    public void Not_ready_while_the_model_loads_even_when_the_transport_receives()
    {
        _transport.Health = TransportHealth.Now(TransportState.Receiving);

        var readiness = Health.Readiness();

        Assert.False(readiness.Ok);
        Assert.Equal("not ready: model loading", readiness.Detail);
        Assert.True(Health.Liveness().Ok);
    }

    [Theory]
    [InlineData(TransportState.Starting)]
    [InlineData(TransportState.Recovering)]
    [InlineData(TransportState.Stopped)]
    [InlineData(TransportState.Faulted)]
    public void Not_ready_unless_the_transport_receives_and_the_reason_is_named(TransportState state)
    {
        _state.MarkEngineRunning();
        _transport.Health = TransportHealth.Now(state, "connection refused");

        var readiness = Health.Readiness();

        Assert.False(readiness.Ok);
        Assert.Contains($"transport {state.ToString().ToLowerInvariant()} (connection refused)", readiness.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Draining_turns_readiness_false_at_once_while_the_replica_stays_live()
    {
        _state.MarkEngineRunning();
        _transport.Health = TransportHealth.Now(TransportState.Receiving);
        Assert.True(Health.Readiness().Ok);

        _state.MarkDraining();

        Assert.Equal(new ProbeResult(false, "not ready: draining"), Health.Readiness());
        Assert.True(Health.Liveness().Ok);
    }

    [Theory]
    [InlineData(TransportState.Starting, true)]
    [InlineData(TransportState.Receiving, true)]
    [InlineData(TransportState.Recovering, true)]
    [InlineData(TransportState.Stopped, true)]
    [InlineData(TransportState.Faulted, false)]
    public void Live_unless_the_transport_is_faulted(TransportState state, bool live)
    {
        _transport.Health = TransportHealth.Now(state, "queue deleted");

        var liveness = Health.Liveness();

        Assert.Equal(live, liveness.Ok);
        Assert.Equal(live, !liveness.Detail.Contains("queue deleted", StringComparison.Ordinal));
    }
}
