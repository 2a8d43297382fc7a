using LlmQueue.Contracts;
using LlmQueue.Serving.Admission;
using LlmQueue.TestKit.Serving;

namespace LlmQueue.Serving.Tests;

public sealed class AdmissionGateTests
{
    [Fact]
    public async Task Waits_while_the_engine_has_no_free_slot_and_enters_when_capacity_grows()
    {
        var engine = new ScriptedEngine();
        engine.SetAvailableSlots(0);
        using var gate = new AdmissionGate(engine);

        var checkedCapacity = engine.NextSlotsReadAsync();
        var entering = gate.EnterAsync(CancellationToken.None).AsTask();
        await checkedCapacity.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(entering.IsCompleted);

        engine.SetAvailableSlots(1);
        using var reservation = await entering.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, gate.Reserved);
    }

    [Fact]
    public async Task A_reserved_slot_is_not_handed_out_twice_until_released()
    {
        var engine = new ScriptedEngine();
        engine.SetAvailableSlots(1);
        using var gate = new AdmissionGate(engine);
        var first = await gate.EnterAsync(CancellationToken.None);

        var recheck = engine.NextSlotsReadAsync();
        var second = gate.EnterAsync(CancellationToken.None).AsTask();
        await recheck.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(second.IsCompleted);

        first.Dispose();
        using var secondReservation = await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, gate.Reserved);
    }

    [Fact]
    public async Task Cancelled_wait_throws_and_reserves_nothing()
    {
        var engine = new ScriptedEngine();
        engine.SetAvailableSlots(0);
        using var gate = new AdmissionGate(engine);
        using var cancellation = new CancellationTokenSource();

        var entering = gate.EnterAsync(cancellation.Token).AsTask();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => entering);
        Assert.Equal(0, gate.Reserved);
    }

    [Fact]
    public async Task Consumer_submits_only_once_the_engine_reports_capacity()
    {
        var engine = new ScriptedEngine { AutoDeltas = ["a"] };
        engine.SetAvailableSlots(0);
        await using var host = await WorkerTestHost.StartAsync(engine);

        var checkedCapacity = engine.NextSlotsReadAsync();
        await host.SendAsync(new GenerateRequest { RequestId = "queued", Prompt = "p" });
        await checkedCapacity.WaitAsync(TimeSpan.FromSeconds(10));
        var submitted = engine.NextSubmittedAsync();
        Assert.False(submitted.IsCompleted);

        engine.SetAvailableSlots(1);
        Assert.Equal("queued", (await submitted).Request.RequestId);
        Assert.Equal("queued", (await host.Replies.NextAsync<GenerateCompleted>()).RequestId);
    }
}
