using LlmQueue.Contracts;
using MassTransit;
using LlmQueue.Engine;

namespace LlmQueue.Worker.Tests;

public sealed class GenerateRequestConsumerTests
{
    private static GenerateRequest Request(string id, bool stream = true) =>
        new() { RequestId = id, Prompt = "hello", Stream = stream };

    [Fact]
    public async Task Streamed_request_sends_numbered_chunks_then_one_completion()
    {
        var engine = new ScriptedEngine { AutoDeltas = ["a", "b", "c"] };
        await using var host = await WorkerTestHost.StartAsync(engine);

        await host.SendAsync(Request("r1"));

        for (var seq = 0; seq < 3; seq++)
        {
            var chunk = await host.Replies.NextAsync<TokenChunk>();
            Assert.Equal(("r1", 1, seq, engine.AutoDeltas[seq]), (chunk.RequestId, chunk.Attempt, chunk.Seq, chunk.TextDelta));
            Assert.Equal([seq + 1], chunk.TokenIds);
        }

        var completed = await host.Replies.NextAsync<GenerateCompleted>();
        Assert.Equal(("r1", 1, FinishReasons.Length, "abc"), (completed.RequestId, completed.Attempt, completed.FinishReason, completed.Text));
        Assert.Equal(3, completed.Usage.CompletionTokens);

        // Replies arrive in order on one queue: the next reply being the second request's shows r1 had no more.
        await host.SendAsync(Request("r2", stream: false));
        Assert.Equal("r2", (await host.Replies.NextAsync<GenerateCompleted>()).RequestId);
    }

    [Fact]
    public async Task Unstreamed_request_sends_only_the_completion()
    {
        var engine = new ScriptedEngine { AutoDeltas = ["x", "y"] };
        await using var host = await WorkerTestHost.StartAsync(engine);

        await host.SendAsync(Request("plain", stream: false));

        var completed = await host.Replies.NextAsync<GenerateCompleted>();
        Assert.Equal(("plain", "xy"), (completed.RequestId, completed.Text));
    }

    [Fact]
    public async Task Replies_go_to_the_envelope_response_address_when_the_body_names_none()
    {
        var engine = new ScriptedEngine { AutoDeltas = ["z"] };
        await using var host = await WorkerTestHost.StartAsync(engine);

        var endpoint = await host.Bus.GetSendEndpoint(WorkerTestHost.RequestAddress);
        await endpoint.Send(Request("via-envelope", stream: false), (SendContext<GenerateRequest> context) => context.ResponseAddress = host.Replies.Address);

        Assert.Equal("via-envelope", (await host.Replies.NextAsync<GenerateCompleted>()).RequestId);
    }

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
    public async Task Engine_error_result_becomes_internal_error_failure()
    {
        var engine = new ScriptedEngine();
        await using var host = await WorkerTestHost.StartAsync(engine);

        await host.SendAsync(Request("boom"));
        (await engine.NextSubmittedAsync()).Finish(FinishReason.Error);

        var failed = await host.Replies.NextAsync<GenerateFailed>();
        Assert.Equal(("boom", ErrorCodes.Internal), (failed.RequestId, failed.Code));
    }
}
