using Microsoft.Extensions.Time.Testing;
using LlmQueue.Engine;
using LlmQueue.Serving.Hosting;
using LlmQueue.Serving.Operations;
using LlmQueue.TestKit.Serving;
using LlmQueue.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace LlmQueue.Serving.Tests.Operations;

public sealed class ReplicaHealthTests : IAsyncDisposable
{
    private static readonly TimeSpan s_stallLimit = TimeSpan.FromSeconds(120);
    private readonly WorkerState _state = new();
    private readonly StubTransport _transport = new();
    private readonly ScriptedEngine _engine = new();
    private readonly FakeTimeProvider _time = new();
    private readonly ServiceProvider _services;
    private readonly ReplicaHealth _health;

    public ReplicaHealthTests()
    {
        _services = new ServiceCollection().AddSingleton<IGenerationEngine>(_engine).BuildServiceProvider();
        var options = Microsoft.Extensions.Options.Options.Create(new OperationsOptions { EngineStallSeconds = (int)s_stallLimit.TotalSeconds });
        _health = new ReplicaHealth(_state, _transport, _services, options, _time);
    }

    private ReplicaHealth Health => _health;

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _transport.DisposeAsync();
    }

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

    [Fact]
    public void Requests_running_with_no_engine_step_for_the_stall_limit_fail_liveness_and_a_step_restores_it()
    {
        _state.MarkEngineRunning();
        _engine.Stats = new EngineStats { Steps = 10, Running = 2 };
        Assert.True(Health.Liveness().Ok);

        _time.Advance(s_stallLimit - TimeSpan.FromSeconds(1));
        Assert.True(Health.Liveness().Ok);
        _time.Advance(TimeSpan.FromSeconds(1));
        var stalled = Health.Liveness();

        Assert.False(stalled.Ok);
        Assert.Equal("not live: 2 requests running and no engine step finished for 120 s", stalled.Detail);
        _engine.Stats = new EngineStats { Steps = 11, Running = 2 };
        Assert.True(Health.Liveness().Ok);
    }

    [Fact]
    public void An_idle_engine_is_live_however_long_it_makes_no_step()
    {
        _state.MarkEngineRunning();
        _engine.Stats = new EngineStats { Steps = 10, Running = 0, Waiting = 0 };
        Assert.True(Health.Liveness().Ok);

        _time.Advance(s_stallLimit * 10);

        Assert.True(Health.Liveness().Ok);
    }
}
