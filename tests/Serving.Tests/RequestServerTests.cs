using LlmQueue.Contracts;
using LlmQueue.Serving.Admission;
using LlmQueue.TestKit.Serving;
using LlmQueue.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace LlmQueue.Serving.Tests;

/// <summary>The serving core through the real host on the in-process broker (the conformance suite runs the rest on every transport).</summary>
public sealed class RequestServerTests
{
    [Fact]
    public async Task Request_fields_reach_the_engine_with_defaults_for_missing_sampling()
    {
        var engine = new ScriptedEngine { AutoDeltas = [] };
        await using var host = await WorkerTestHost.StartAsync(engine);

        await host.SendAsync(new GenerateRequest
        {
            RequestId = "mapped",
            PromptTokenIds = [5, 6],
            Sampling = new SamplingParams { MaxTokens = 7, Temperature = 0.5, Seed = 42, Stop = ["\n"] },
            Priority = 2,
            CacheSalt = "tenant",
        });

        var submitted = (await engine.NextSubmittedAsync()).Request;
        Assert.Equal([5, 6], submitted.PromptTokenIds);
        Assert.Null(submitted.Prompt);
        Assert.Equal((7, 0.5f, 42L, 1f), (submitted.Sampling.MaxTokens, submitted.Sampling.Temperature, submitted.Sampling.Seed, submitted.Sampling.TopP));
        Assert.Equal(["\n"], submitted.Sampling.StopStrings);
        Assert.Equal((2, "tenant"), (submitted.Priority, submitted.CacheSalt));
    }

    [Fact]
    public async Task Unstreamed_request_sends_only_the_completion()
    {
        var engine = new ScriptedEngine { AutoDeltas = ["x", "y"] };
        await using var host = await WorkerTestHost.StartAsync(engine);

        await host.SendAsync(new GenerateRequest { RequestId = "plain", Prompt = "p" });

        var completed = await host.Replies.NextAsync<GenerateCompleted>();
        Assert.Equal(("plain", "xy", 1), (completed.RequestId, completed.Text, completed.Attempt));
        Assert.Empty(host.Replies.Drain());
    }

    [Fact]
    public async Task Output_that_breaks_the_requests_rule_is_answered_invalid_output_once_without_a_retry()
    {
        var engine = new ScriptedEngine();
        await using var host = await WorkerTestHost.StartAsync(engine, "--Transport:RetryLimit=3");

        await host.SendAsync(new GenerateRequest { RequestId = "bad-bytes", Prompt = "p" });
        (await engine.NextSubmittedAsync()).Finish(Engine.FinishReason.InvalidOutput);

        var failed = await host.Replies.NextAsync<GenerateFailed>();
        Assert.Equal(("bad-bytes", ErrorCodes.InvalidOutput, 1), (failed.RequestId, failed.Code, failed.Attempt));
        await host.SendAsync(new GenerateRequest { RequestId = "next", Prompt = "p" });
        (await engine.NextSubmittedAsync()).Finish(Engine.FinishReason.Stop);
        Assert.Equal("next", (await host.Replies.NextAsync<GenerateCompleted>()).RequestId);
        Assert.Equal(2, engine.SubmitCalls);
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

        await host.PublishCancelAsync("queued");

        var completed = await host.Replies.NextAsync<GenerateCompleted>();
        Assert.Equal(("queued", FinishReasons.Cancelled, 0), (completed.RequestId, completed.FinishReason, completed.Usage.CompletionTokens));
        Assert.Equal(0, engine.SubmitCalls);
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
        generation.Finish(Engine.FinishReason.Stop);
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Empty(engine.CancelCalls);
        var completed = await host.Replies.NextAsync<GenerateCompleted>();
        Assert.Equal(("finishing", FinishReasons.Stop), (completed.RequestId, completed.FinishReason));
        await host.DisposeAsync();
    }

    [Fact]
    public async Task Stop_after_the_drain_timeout_cancels_without_a_final_reply()
    {
        var engine = new ScriptedEngine();
        var host = await WorkerTestHost.StartAsync(engine, "--Transport:DrainTimeoutSeconds=0");
        await host.SendAsync(new GenerateRequest { RequestId = "unfinished", Prompt = "p", Stream = true });
        var generation = await engine.NextSubmittedAsync();

        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(["unfinished"], engine.CancelCalls);
        Assert.True(generation.Handle.Completion.IsCompletedSuccessfully);
        Assert.DoesNotContain(host.Replies.Drain(), reply => reply is GenerateCompleted or GenerateFailed);
        await host.DisposeAsync();
    }

    [Fact]
    public async Task A_newer_attempt_delivered_while_the_first_still_runs_here_takes_over_and_completes()
    {
        // Service Bus offers a message again once its lock is lost, possibly before this replica noticed the loss; the
        // engine has free slots, so both deliveries reach the serving core while attempt 1 still generates.
        var engine = new ScriptedEngine();
        await using var host = await WorkerTestHost.StartAsync(engine);
        var server = host.Services.GetRequiredService<RequestServer>();
        var request = new GenerateRequest { RequestId = "relocked", Prompt = "p", ReplyTo = host.Replies.QueueName };

        var first = server.HandleRequestAsync(Delivery(request, deliveryCount: 1));
        var firstGeneration = await engine.NextSubmittedAsync();
        firstGeneration.Emit("a");
        var second = server.HandleRequestAsync(Delivery(request, deliveryCount: 2));

        Assert.Equal(Settlement.Requeue, await first.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(Engine.FinishReason.Cancelled, (await firstGeneration.Handle.Completion).FinishReason);
        var secondGeneration = await engine.NextSubmittedAsync();
        secondGeneration.Emit("b");
        secondGeneration.Finish(Engine.FinishReason.Stop);
        Assert.Equal(Settlement.Complete, await second.WaitAsync(TimeSpan.FromSeconds(10)));

        var completed = await host.Replies.NextAsync<GenerateCompleted>();
        Assert.Equal(("relocked", 2, "b"), (completed.RequestId, completed.Attempt, completed.Text));
        Assert.DoesNotContain(host.Replies.Drain(), reply => reply is GenerateFailed or GenerateCompleted);
    }

    [Fact]
    public async Task A_duplicate_message_of_a_request_running_here_waits_for_it_then_runs_like_on_another_replica()
    {
        var engine = new ScriptedEngine();
        await using var host = await WorkerTestHost.StartAsync(engine);
        var server = host.Services.GetRequiredService<RequestServer>();
        var request = new GenerateRequest { RequestId = "sent-twice", Prompt = "p", ReplyTo = host.Replies.QueueName };

        var first = server.HandleRequestAsync(Delivery(request, deliveryCount: 1));
        var firstGeneration = await engine.NextSubmittedAsync();
        var second = server.HandleRequestAsync(Delivery(request, deliveryCount: 1));
        firstGeneration.Emit("a");
        firstGeneration.Finish(Engine.FinishReason.Stop);
        Assert.Equal(Settlement.Complete, await first.WaitAsync(TimeSpan.FromSeconds(10)));
        var secondGeneration = await engine.NextSubmittedAsync();
        secondGeneration.Emit("a");
        secondGeneration.Finish(Engine.FinishReason.Stop);

        Assert.Equal(Settlement.Complete, await second.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(2, engine.SubmitCalls);
        Assert.Equal(("sent-twice", "a"), ((await host.Replies.NextAsync<GenerateCompleted>()).RequestId, (await host.Replies.NextAsync<GenerateCompleted>()).Text));
        Assert.DoesNotContain(host.Replies.Drain(), reply => reply is GenerateFailed);
    }

    [Fact]
    public async Task A_delivery_waiting_for_its_turn_counts_against_the_free_slots()
    {
        var engine = new ScriptedEngine();
        engine.SetAvailableSlots(2);
        await using var host = await WorkerTestHost.StartAsync(engine);
        var server = host.Services.GetRequiredService<RequestServer>();
        var capacity = host.Services.GetRequiredService<EngineCapacity>();
        var request = new GenerateRequest { RequestId = "waits", Prompt = "p", ReplyTo = host.Replies.QueueName };

        var first = server.HandleRequestAsync(Delivery(request, deliveryCount: 1));
        var firstGeneration = await engine.NextSubmittedAsync();
        var second = server.HandleRequestAsync(Delivery(request, deliveryCount: 1));

        // One slot runs the first delivery; the waiting one will need the other, so a transport must not take more.
        Assert.False(second.IsCompleted);
        Assert.Equal(0, capacity.Available);
        firstGeneration.Finish(Engine.FinishReason.Stop);
        (await engine.NextSubmittedAsync()).Finish(Engine.FinishReason.Stop);
        Assert.Equal((Settlement.Complete, Settlement.Complete), (await first.WaitAsync(TimeSpan.FromSeconds(10)), await second.WaitAsync(TimeSpan.FromSeconds(10))));
        Assert.Equal(2, capacity.Available);
    }

    private static InboundMessage Delivery(GenerateRequest request, int deliveryCount)
    {
        var encoded = ContractCodec.Encode(request, WireFormat.Json);
        return new InboundMessage { Body = encoded.Body, ContentType = encoded.ContentType, DeliveryCount = deliveryCount };
    }
}
