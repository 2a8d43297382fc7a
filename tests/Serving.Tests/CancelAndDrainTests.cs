using LlmQueue.Contracts;

namespace LlmQueue.Worker.Tests;

public sealed class CancelAndDrainTests
{
    [Fact]
    public async Task Published_cancel_stops_the_request_with_finish_reason_cancelled()
    {
        var engine = new ScriptedEngine();
        await using var host = await WorkerTestHost.StartAsync(engine);
        await host.SendAsync(new GenerateRequest { RequestId = "long", Prompt = "p", Stream = true });
        var generation = await engine.NextSubmittedAsync();
        generation.Emit("t");
        Assert.Equal(0, (await host.Replies.NextAsync<TokenChunk>()).Seq);

        await host.Bus.Publish(new CancelGeneration { RequestId = "long" });

        var completed = await host.Replies.NextAsync<GenerateCompleted>();
        Assert.Equal(("long", FinishReasons.Cancelled, "t"), (completed.RequestId, completed.FinishReason, completed.Text));
        Assert.Contains("long", engine.CancelCalls);
    }

    [Fact]
    public async Task Cancel_of_a_request_still_waiting_for_capacity_completes_it_as_cancelled_without_running_it()
    {
        var engine = new ScriptedEngine();
        engine.SetAvailableSlots(0);
        await using var host = await WorkerTestHost.StartAsync(engine);
        var gateChecked = engine.NextSlotsReadAsync();
        await host.SendAsync(new GenerateRequest { RequestId = "queued", Prompt = "p", Stream = true });
        await gateChecked;

        await host.Bus.Publish(new CancelGeneration { RequestId = "queued" });

        var completed = await host.Replies.NextAsync<GenerateCompleted>();
        Assert.Equal(("queued", FinishReasons.Cancelled, 0), (completed.RequestId, completed.FinishReason, completed.Usage.CompletionTokens));
        Assert.Equal(0, engine.SubmitCalls);
    }

    [Fact]
    public async Task Stop_cancels_unfinished_requests_after_the_drain_timeout_without_replying()
    {
        var engine = new ScriptedEngine();
        var host = await WorkerTestHost.StartAsync(engine, "--Transport:DrainTimeoutSeconds=1");
        await host.SendAsync(new GenerateRequest { RequestId = "unfinished", Prompt = "p", Stream = true });
        var generation = await engine.NextSubmittedAsync();

        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));
        await host.DisposeAsync();

        Assert.Equal(["unfinished"], engine.CancelCalls);
        Assert.True(generation.Handle.Completion.IsCompletedSuccessfully);
        Assert.DoesNotContain(host.Sends.Sent, message => message is GenerateCompleted or GenerateFailed);
    }

    [Fact]
    public async Task Stop_lets_a_request_that_finishes_within_the_drain_timeout_complete()
    {
        var engine = new ScriptedEngine();
        var host = await WorkerTestHost.StartAsync(engine, "--Transport:DrainTimeoutSeconds=30");
        await host.SendAsync(new GenerateRequest { RequestId = "finishing", Prompt = "p" });
        var generation = await engine.NextSubmittedAsync();

        var stopping = host.StopAsync();
        generation.Emit("done");
        generation.Finish(LlmQueue.Engine.FinishReason.Stop);
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));
        await host.DisposeAsync();

        Assert.Empty(engine.CancelCalls);
        var completed = Assert.Single(host.Sends.Sent.OfType<GenerateCompleted>());
        Assert.Equal(("finishing", FinishReasons.Stop), (completed.RequestId, completed.FinishReason));
    }
}
