using LlmQueue.Client;
using LlmQueue.Contracts;

namespace LlmQueue.Integration.Tests;

[Collection(RabbitMqGroup.Name)]
public sealed class BrokerTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Streamed_round_trip_through_the_client_library()
    {
        var queue = NewQueue();
        await using var worker = await TestWorker.StartAsync(broker, queue);
        await using var producer = await ProducerBus.StartAsync(broker, queue);
        var request = new GenerateRequest { RequestId = NewId("rt"), Prompt = "Hello", Sampling = new SamplingParams { MaxTokens = 8, IgnoreEos = true, Seed = 1 } };

        var chunks = new List<TokenChunk>();
        GenerateCompleted? completed = null;
        using var timeout = new CancellationTokenSource(_timeout);
        await foreach (var item in producer.Client.StreamEventsAsync(request, timeout.Token))
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
        await using var worker = await TestWorker.StartAsync(broker, queue);
        await using var raw = await RawAmqpProducer.ConnectAsync(broker);
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
        await using var worker = await TestWorker.StartAsync(broker, queue);
        await using var raw = await RawAmqpProducer.ConnectAsync(broker);
        var id = NewId("chat");

        await raw.PublishAsync(queue, $$$"""{"requestId":"{{{id}}}","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"replyTo":"{{{raw.ReplyQueue}}}","sampling":{"maxTokens":3,"ignoreEos":true}}""");

        var reply = await raw.NextAsync();
        Assert.Equal((nameof(GenerateCompleted), id), (reply.Type, reply.Text("requestId")));
        var usage = reply.Body.GetProperty("usage");
        Assert.True(usage.GetProperty("promptTokens").GetInt32() > "Be brief.Hi".Length / 4);
        Assert.Equal(3, usage.GetProperty("completionTokens").GetInt32());
    }

    [Fact]
    public async Task Published_cancel_reaches_the_worker_running_the_request()
    {
        // Two replicas: were their cancel queues shared, the cancel would reach only one of them.
        var queue = NewQueue();
        await using var worker = await TestWorker.StartAsync(broker, queue);
        await using var otherWorker = await TestWorker.StartAsync(broker, queue);
        await using var producer = await ProducerBus.StartAsync(broker, queue);
        var request = new GenerateRequest
        {
            RequestId = NewId("cancel"),
            Prompt = "Hello",
            Sampling = new SamplingParams { MaxTokens = IntegrationEngine.LongMaxTokens(worker.Engine.Model), IgnoreEos = true },
        };

        GenerateCompleted? completed = null;
        var cancelSent = false;
        using var timeout = new CancellationTokenSource(_timeout);
        await foreach (var item in producer.Client.StreamEventsAsync(request, timeout.Token))
        {
            if (item is ChunkReceived && !cancelSent)
            {
                cancelSent = true;
                await producer.Bus.Publish(new CancelGeneration { RequestId = request.RequestId }, timeout.Token);
            }
            else if (item is GenerationCompleted done)
            {
                completed = done.Completion;
            }
        }

        Assert.NotNull(completed);
        Assert.Equal(FinishReasons.Cancelled, completed.FinishReason);
        Assert.True(completed.Usage.CompletionTokens < request.Sampling.MaxTokens);
    }

    [Fact]
    public async Task Bad_requests_get_exactly_one_failure_each_and_are_not_redelivered()
    {
        var queue = NewQueue();
        await using var worker = await TestWorker.StartAsync(broker, queue);
        await using var raw = await RawAmqpProducer.ConnectAsync(broker);
        var replyTo = raw.ReplyQueue;
        (string Json, string? AmqpReplyTo, string RequestId, string Code, string Mentioned)[] cases =
        [
            ($$$"""{"requestId":"wrong-type","prompt":"p","replyTo":"{{{replyTo}}}","sampling":{"maxTokens":"abc"}}""", null, "wrong-type", ErrorCodes.MalformedMessage, "maxTokens"),
            ("{ this is not json", replyTo, "", ErrorCodes.MalformedMessage, "GenerateRequest"),
            ($$$"""{"requestId":"no-prompt","replyTo":"{{{replyTo}}}"}""", null, "no-prompt", ErrorCodes.InvalidRequest, "prompt"),
            ($$$"""{"prompt":"p","replyTo":"{{{replyTo}}}"}""", null, "", ErrorCodes.InvalidRequest, "requestId"),
            ($$$"""{"requestId":"zero-tokens","prompt":"p","replyTo":"{{{replyTo}}}","sampling":{"maxTokens":0}}""", null, "zero-tokens", ErrorCodes.InvalidRequest, "maxTokens"),
            ($$$"""{"requestId":"absurd-tokens","prompt":"p","replyTo":"{{{replyTo}}}","sampling":{"maxTokens":100000000}}""", null, "absurd-tokens", ErrorCodes.InvalidRequest, "maxTokens"),
            ($$$"""{"requestId":"cold","prompt":"p","replyTo":"{{{replyTo}}}","sampling":{"temperature":-0.5}}""", null, "cold", ErrorCodes.InvalidRequest, "temperature"),
            ($$$"""{"requestId":"nan","prompt":"p","replyTo":"{{{replyTo}}}","sampling":{"temperature":"NaN"}}""", null, "nan", ErrorCodes.MalformedMessage, "temperature"),
            ($$$"""{"requestId":"wide","prompt":"p","replyTo":"{{{replyTo}}}","sampling":{"topP":1.5}}""", null, "wide", ErrorCodes.InvalidRequest, "topP"),
            ($$$"""{"requestId":"long","prompt":"{{{string.Concat(Enumerable.Repeat("lorem ipsum ", 5000))}}}","replyTo":"{{{replyTo}}}"}""", null, "long", ErrorCodes.PromptTooLong, "context"),
        ];

        foreach (var (json, amqpReplyTo, requestId, code, mentioned) in cases)
        {
            await raw.PublishAsync(queue, json, amqpReplyTo);
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

        // Unreadable bodies are kept for inspection in _error (once), the others were acknowledged.
        Assert.Equal(3u, await broker.ReadyMessagesAsync(queue + "_error"));
        Assert.Equal(0u, await broker.ReadyMessagesAsync(queue + "_skipped"));
    }

    [Fact]
    public async Task Stopped_worker_returns_its_unfinished_request_and_another_replica_completes_it_as_attempt_2()
    {
        var queue = NewQueue();
        await using var raw = await RawAmqpProducer.ConnectAsync(broker);
        var first = await TestWorker.StartAsync(broker, queue, drainTimeoutSeconds: 1);
        var maxTokens = IntegrationEngine.LongMaxTokens(first.Engine.Model);
        var id = NewId("drain");
        await raw.PublishAsync(queue, $$$"""{"requestId":"{{{id}}}","prompt":"Hello","stream":true,"replyTo":"{{{raw.ReplyQueue}}}","sampling":{"maxTokens":{{{maxTokens}}},"ignoreEos":true}}""");
        var firstChunk = await raw.NextAsync();
        Assert.Equal((nameof(TokenChunk), 1), (firstChunk.Type, firstChunk.Number("attempt")));

        await using var second = await TestWorker.StartAsync(broker, queue);
        await first.StopAsync().WaitAsync(_timeout);
        await first.DisposeAsync();

        var secondAttemptChunks = 0;
        RawReply reply;
        while ((reply = await raw.NextAsync()).Type == nameof(TokenChunk))
        {
            if (reply.Number("attempt") == 2)
            {
                Assert.Equal(secondAttemptChunks++, reply.Number("seq"));
            }
        }

        Assert.Equal(nameof(GenerateCompleted), reply.Type);
        Assert.Equal((id, 2, FinishReasons.Length), (reply.Text("requestId"), reply.Number("attempt"), reply.Text("finishReason")));
        Assert.Equal(maxTokens, reply.Body.GetProperty("usage").GetProperty("completionTokens").GetInt32());
        Assert.True(secondAttemptChunks > 0);
        Assert.Equal(0u, await broker.ReadyMessagesAsync(queue + "_error"));
    }

    private static string NewQueue() => $"llmq-it-{Guid.NewGuid():N}";

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
