using LlmQueue.Client;
using LlmQueue.Contracts;
using LlmQueue.TestKit.Serving;

namespace LlmQueue.Integration.Tests;

/// <summary>The real engine (tiny synthetic model) behind a real RabbitMQ, through the client library and a raw producer.</summary>
[Collection(RabbitMqGroup.Name)]
public sealed class BrokerTests(RabbitMqServer broker)
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(60);

    private RabbitMqTestBed Bed { get; } = new(broker);

    [Fact]
    public async Task Streamed_round_trip_through_the_client_library()
    {
        var queue = NewQueue();
        await using var worker = await WorkerInstance.StartAsync(Bed, queue);
        await using var client = await Producers.StartAsync(broker, queue);
        var request = new GenerateRequest { RequestId = NewId("rt"), Prompt = "Hello", Sampling = new SamplingParams { MaxTokens = 8, IgnoreEos = true, Seed = 1 } };

        var chunks = new List<TokenChunk>();
        GenerateCompleted? completed = null;
        using var timeout = new CancellationTokenSource(_timeout);
        await foreach (var item in client.StreamEventsAsync(request, timeout.Token))
        {
            switch (item)
            {
                case ChunkReceived chunk:
                    chunks.Add(chunk.Chunk);
                    break;
                case GenerationCompleted done:
                    completed = done.Completion;
                    break;
            }
        }

        Assert.NotNull(completed);
        Assert.Equal((request.RequestId, 1, FinishReasons.Length, 8), (completed.RequestId, completed.Attempt, completed.FinishReason, completed.Usage.CompletionTokens));
        Assert.NotEmpty(chunks);
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Seq));
        Assert.All(chunks, c => Assert.Equal((request.RequestId, 1), (c.RequestId, c.Attempt)));
        Assert.Equal(completed.TokenIds, chunks.SelectMany(c => c.TokenIds));
        Assert.Equal(completed.Text, string.Concat(chunks.Select(c => c.TextDelta)));
    }

    [Fact]
    public async Task Raw_json_producer_gets_raw_json_chunks_then_one_completion()
    {
        var queue = NewQueue();
        await using var worker = await WorkerInstance.StartAsync(Bed, queue);
        await using var raw = await Bed.ConnectProducerAsync();
        var id = NewId("raw");

        await raw.PublishAsync(queue, $$$"""{"requestId":"{{{id}}}","prompt":"Hello","stream":true,"replyTo":"{{{raw.ReplyQueue}}}","sampling":{"maxTokens":6,"ignoreEos":true}}""");

        var chunks = new List<RawReply>();
        RawReply reply;
        while ((reply = await raw.NextAsync()).Type == nameof(TokenChunk))
        {
            chunks.Add(reply);
        }

        Assert.Equal(nameof(GenerateCompleted), reply.Type);
        Assert.Equal("application/json", reply.ContentType);
        Assert.Equal((id, 1, FinishReasons.Length), (reply.Text("requestId"), reply.Number("attempt"), reply.Text("finishReason")));
        Assert.Equal(6, reply.Body.GetProperty("usage").GetProperty("completionTokens").GetInt32());
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Number("seq")));
        Assert.Equal(reply.Text("text"), string.Concat(chunks.Select(c => c.Text("textDelta"))));
    }

    [Fact]
    public async Task Raw_json_chat_messages_are_rendered_by_the_models_template()
    {
        var queue = NewQueue();
        await using var worker = await WorkerInstance.StartAsync(Bed, queue);
        await using var raw = await Bed.ConnectProducerAsync();
        var id = NewId("chat");

        await raw.PublishAsync(queue, $$$"""{"requestId":"{{{id}}}","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"replyTo":"{{{raw.ReplyQueue}}}","sampling":{"maxTokens":3,"ignoreEos":true}}""");

        var reply = await raw.NextAsync();
        Assert.Equal((nameof(GenerateCompleted), id), (reply.Type, reply.Text("requestId")));
        var usage = reply.Body.GetProperty("usage");
        Assert.True(usage.GetProperty("promptTokens").GetInt32() > "Be brief.Hi".Length / 4);
        Assert.Equal(3, usage.GetProperty("completionTokens").GetInt32());
    }

    [Fact]
    public async Task Requests_the_engine_refuses_get_exactly_one_failure_each_and_are_settled()
    {
        var queue = NewQueue();
        await using var worker = await WorkerInstance.StartAsync(Bed, queue);
        await using var raw = await Bed.ConnectProducerAsync();
        var replyTo = raw.ReplyQueue;
        (string Json, string RequestId, string Code, string Mentioned)[] cases =
        [
            ($$$"""{"requestId":"no-prompt","replyTo":"{{{replyTo}}}"}""", "no-prompt", ErrorCodes.InvalidRequest, "prompt"),
            ($$$"""{"prompt":"p","replyTo":"{{{replyTo}}}"}""", "", ErrorCodes.InvalidRequest, "requestId"),
            ($$$"""{"requestId":"zero-tokens","prompt":"p","replyTo":"{{{replyTo}}}","sampling":{"maxTokens":0}}""", "zero-tokens", ErrorCodes.InvalidRequest, "maxTokens"),
            ($$$"""{"requestId":"absurd-tokens","prompt":"p","replyTo":"{{{replyTo}}}","sampling":{"maxTokens":100000000}}""", "absurd-tokens", ErrorCodes.InvalidRequest, "maxTokens"),
            ($$$"""{"requestId":"cold","prompt":"p","replyTo":"{{{replyTo}}}","sampling":{"temperature":-0.5}}""", "cold", ErrorCodes.InvalidRequest, "temperature"),
            ($$$"""{"requestId":"wide","prompt":"p","replyTo":"{{{replyTo}}}","sampling":{"topP":1.5}}""", "wide", ErrorCodes.InvalidRequest, "topP"),
            ($$$"""{"requestId":"long","prompt":"{{{string.Concat(Enumerable.Repeat("lorem ipsum ", 5000))}}}","replyTo":"{{{replyTo}}}"}""", "long", ErrorCodes.PromptTooLong, "context"),
            ($$$"""{"requestId":"huge","prompt":"{{{new string('x', 900_000)}}}","replyTo":"{{{replyTo}}}"}""", "huge", ErrorCodes.PromptTooLong, "characters"),
        ];

        foreach (var (json, requestId, code, mentioned) in cases)
        {
            await raw.PublishAsync(queue, json);
            var failed = await raw.NextAsync();
            Assert.Equal((nameof(GenerateFailed), requestId, code), (failed.Type, failed.Text("requestId"), failed.Text("code")));
            Assert.Contains(mentioned, failed.Text("message"), StringComparison.OrdinalIgnoreCase);
        }

        // The next reply being the follow-up's shows no bad request produced a second reply or came back.
        var followUp = NewId("after-bad");
        await raw.PublishAsync(queue, $$$"""{"requestId":"{{{followUp}}}","prompt":"p","replyTo":"{{{replyTo}}}","sampling":{"maxTokens":2}}""");
        var completed = await raw.NextAsync();
        Assert.Equal((nameof(GenerateCompleted), followUp), (completed.Type, completed.Text("requestId")));
        Assert.Equal(0u, await broker.ReadyMessagesAsync(queue));
        Assert.Equal(0u, await broker.ReadyMessagesAsync(queue + "_error"));
    }

    private static string NewQueue() => $"llmq-it-{Guid.NewGuid():N}";

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
