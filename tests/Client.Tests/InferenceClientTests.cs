using LlmQueue.Contracts;

namespace LlmQueue.Client.Tests;

public class InferenceClientTests
{
    [Fact]
    public async Task Stream_yields_chunks_in_order_then_ends_after_the_completion()
    {
        await using var bus = await TestBus.StartAsync(r =>
            [Replies.Chunk(r.RequestId, 0, 0, "Hel", 1), Replies.Chunk(r.RequestId, 0, 1, "lo", 2), Replies.Completed(r.RequestId, 0, "Hello", 1, 2)]);

        var events = await CollectAsync(bus.Client.StreamEventsAsync(new GenerateRequest { Prompt = "hi" }));

        Assert.Equal(["Hel", "lo"], events.OfType<ChunkReceived>().Select(e => e.Chunk.TextDelta));
        var completed = Assert.IsType<GenerationCompleted>(events[^1]);
        Assert.Equal("Hello", completed.Completion.Text);
        var sent = Assert.Single(bus.Script.Received);
        Assert.True(sent.Stream);
        Assert.Equal(bus.Client.ReplyQueueName, sent.ReplyTo);
        Assert.False(string.IsNullOrEmpty(sent.RequestId));
    }

    [Fact]
    public async Task Duplicated_and_reordered_chunks_are_delivered_once_in_seq_order()
    {
        await using var bus = await TestBus.StartAsync(r =>
        [
            Replies.Chunk(r.RequestId, 0, 1, "b", 2), Replies.Chunk(r.RequestId, 0, 0, "a", 1),
            Replies.Completed(r.RequestId, 0, "abc", 1, 2, 3), Replies.Chunk(r.RequestId, 0, 1, "b", 2),
            Replies.Chunk(r.RequestId, 0, 0, "a", 1), Replies.Chunk(r.RequestId, 0, 2, "c", 3),
        ]);

        var chunks = await CollectAsync(bus.Client.StreamAsync(new GenerateRequest { Prompt = "x" }));

        Assert.Equal([0, 1, 2], chunks.Select(c => c.Seq));
        Assert.Equal("abc", string.Concat(chunks.Select(c => c.TextDelta)));
    }

    [Fact]
    public async Task Higher_attempt_restarts_the_stream()
    {
        await using var bus = await TestBus.StartAsync(r =>
        [
            Replies.Chunk(r.RequestId, 0, 0, "stale", 1), Replies.Chunk(r.RequestId, 1, 0, "fr", 5),
            Replies.Chunk(r.RequestId, 0, 1, "stale", 2), Replies.Chunk(r.RequestId, 1, 1, "esh", 6),
            Replies.Completed(r.RequestId, 1, "fresh", 5, 6),
        ]);

        var text = "";
        GenerateCompleted? completion = null;
        await foreach (var item in bus.Client.StreamEventsAsync(new GenerateRequest { Prompt = "x" }))
        {
            switch (item)
            {
                case AttemptRestarted:
                    text = "";
                    break;
                case ChunkReceived chunk:
                    text += chunk.Chunk.TextDelta;
                    break;
                case GenerationCompleted done:
                    completion = done.Completion;
                    break;
            }
        }

        Assert.Equal("fresh", text);
        Assert.Equal(1, completion?.Attempt);
    }

    [Fact]
    public async Task Generate_returns_the_completion_without_streaming()
    {
        await using var bus = await TestBus.StartAsync(r => [Replies.Completed(r.RequestId, 0, "done", 4)]);

        var completion = await bus.Client.GenerateAsync(new GenerateRequest { RequestId = "mine", Prompt = "x", Stream = true });

        Assert.Equal("done", completion.Text);
        Assert.Equal("mine", completion.RequestId);
        Assert.False(Assert.Single(bus.Script.Received).Stream);
    }

    [Fact]
    public async Task GenerateFailed_surfaces_as_a_typed_exception()
    {
        await using var bus = await TestBus.StartAsync(r =>
            [new GenerateFailed { RequestId = r.RequestId, Code = ErrorCodes.PromptTooLong, Message = "prompt: 9000 tokens > 2048" }]);

        var error = await Assert.ThrowsAsync<GenerationFailedException>(
            () => CollectAsync(bus.Client.StreamAsync(new GenerateRequest { RequestId = "f1", Prompt = "x" })));

        Assert.Equal(ErrorCodes.PromptTooLong, error.Code);
        Assert.Equal("prompt: 9000 tokens > 2048", error.WorkerMessage);
        Assert.Equal("f1", error.RequestId);
    }

    [Fact]
    public async Task Cancelling_publishes_CancelGeneration_for_the_request()
    {
        await using var bus = await TestBus.StartAsync(r => [Replies.Chunk(r.RequestId, 0, 0, "a", 1)]);
        using var cancel = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in bus.Client.StreamAsync(new GenerateRequest { RequestId = "c1", Prompt = "x" }, cancel.Token))
            {
                await cancel.CancelAsync();
            }
        });

        await bus.Script.CancelPublishedAsync("c1").WaitAsync(TestContext.Guard);
    }

    [Fact]
    public async Task Concurrent_requests_are_routed_to_their_own_streams()
    {
        await using var bus = await TestBus.StartAsync(r =>
        [
            Replies.Chunk(r.RequestId, 0, 0, r.Prompt + "-0", 1), Replies.Chunk(r.RequestId, 0, 1, r.Prompt + "-1", 2),
            Replies.Completed(r.RequestId, 0, r.Prompt!, 1, 2),
        ]);

        var prompts = Enumerable.Range(0, 24).Select(i => $"p{i}").ToList();
        var texts = await Task.WhenAll(prompts.Select(async p =>
            string.Concat((await CollectAsync(bus.Client.StreamAsync(new GenerateRequest { Prompt = p }))).Select(c => c.TextDelta))));

        Assert.Equal(prompts.Select(p => $"{p}-0{p}-1"), texts);
    }

    [Fact]
    public async Task Reusing_an_in_flight_request_id_is_rejected()
    {
        await using var bus = await TestBus.StartAsync(_ => []);
        using var cancel = new CancellationTokenSource();
        var first = bus.Client.GenerateAsync(new GenerateRequest { RequestId = "dup", Prompt = "x" }, cancel.Token);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => bus.Client.GenerateAsync(new GenerateRequest { RequestId = "dup", Prompt = "y" }));

        Assert.Contains("dup", error.Message, StringComparison.Ordinal);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
    }

    private static async Task<List<T>> CollectAsync<T>(IAsyncEnumerable<T> source)
    {
        using var guard = new CancellationTokenSource(TestContext.Guard);
        var items = new List<T>();
        await foreach (var item in source.WithCancellation(guard.Token))
        {
            items.Add(item);
        }

        return items;
    }
}
