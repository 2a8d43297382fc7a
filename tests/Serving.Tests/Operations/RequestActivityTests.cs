using System.Collections.Concurrent;
using System.Diagnostics;
using LlmQueue.Contracts;
using LlmQueue.Engine;
using LlmQueue.Serving.Operations;
using LlmQueue.TestKit.Serving;
using LlmQueue.Transport;
using LlmQueue.Transport.InMemory;
using Microsoft.Extensions.DependencyInjection;

namespace LlmQueue.Serving.Tests.Operations;

/// <summary>One trace per delivery, from receipt to settlement, as the real host produces it (scripted engine, in-memory broker).</summary>
public sealed class RequestActivityTests : IDisposable
{
    private const string RequestQueue = "llmq-test-generate";
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public RequestActivityTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RequestActivity.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [Fact]
    public async Task A_completed_request_is_one_consumer_activity_with_its_figures_the_first_token_and_the_settlement()
    {
        var engine = new ScriptedEngine { AutoDeltas = ["a", "b"] };
        await using var host = await WorkerTestHost.StartAsync(engine);
        var requestId = NewId();
        var producerTrace = ActivityTraceId.CreateRandom();
        var producerSpan = ActivitySpanId.CreateRandom();

        Send(host, new GenerateRequest { RequestId = requestId, Prompt = "p", Stream = true },
            new Dictionary<string, string> { ["traceparent"] = $"00-{producerTrace}-{producerSpan}-01" });
        await host.Replies.NextAsync<TokenChunk>();
        await host.Replies.NextAsync<TokenChunk>();
        var completed = await host.Replies.NextAsync<GenerateCompleted>();
        var activity = await StoppedAsync(a => (string?)a.GetTagItem("llmq.request_id") == requestId);

        Assert.Equal(ActivityKind.Consumer, activity.Kind);
        Assert.Equal((producerTrace, producerSpan), (activity.TraceId, activity.ParentSpanId));
        Assert.Equal("inmemory", activity.GetTagItem("messaging.system"));
        Assert.Equal(RequestQueue, activity.GetTagItem("messaging.destination.name"));
        Assert.Equal(1, activity.GetTagItem("llmq.attempt"));
        Assert.Equal(completed.Usage.PromptTokens, activity.GetTagItem("llmq.prompt_tokens"));
        Assert.Equal(completed.Usage.CachedPromptTokens, activity.GetTagItem("llmq.cached_prompt_tokens"));
        Assert.Equal(completed.Usage.CompletionTokens, activity.GetTagItem("llmq.generated_tokens"));
        Assert.Equal(completed.Timings.TtftMs, activity.GetTagItem("llmq.ttft_ms"));
        Assert.Equal(completed.FinishReason, activity.GetTagItem("llmq.finish_reason"));
        Assert.Equal("complete", activity.GetTagItem("llmq.settlement"));
        Assert.Equal(ActivityStatusCode.Unset, activity.Status);
        Assert.Equal(["first_token"], activity.Events.Select(e => e.Name));
    }

    [Fact]
    public async Task A_dead_lettered_delivery_is_an_error_with_the_reason()
    {
        await using var host = await WorkerTestHost.StartAsync(new ScriptedEngine());
        var messageId = NewId();

        host.Services.GetRequiredService<InMemoryBroker>().TrySend(RequestQueue,
            new OutboundMessage { Body = "{ not json"u8.ToArray(), ContentType = ContractCodec.JsonContentType, MessageType = "GenerateRequest", MessageId = messageId });
        var activity = await StoppedAsync(a => (string?)a.GetTagItem("messaging.message.id") == messageId);

        Assert.Equal("dead_letter", activity.GetTagItem("llmq.settlement"));
        Assert.Equal(ActivityStatusCode.Error, activity.Status);
        Assert.Equal(ErrorCodes.MalformedMessage, activity.GetTagItem("llmq.dead_letter_reason"));
        Assert.Null(activity.GetTagItem("llmq.request_id"));
    }

    public void Dispose() => _listener.Dispose();

    private static void Send(WorkerTestHost host, GenerateRequest request, IReadOnlyDictionary<string, string> headers)
    {
        var message = ContractCodec.Encode(request with { ReplyTo = host.Replies.QueueName }, WireFormat.Json) with { Headers = headers };
        host.Services.GetRequiredService<InMemoryBroker>().TrySend(RequestQueue, message);
    }

    /// <summary>The activity is stopped when the delivery is settled, just after the reply the test waited for.</summary>
    private async Task<Activity> StoppedAsync(Func<Activity, bool> match)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            if (_stopped.FirstOrDefault(match) is { } activity)
            {
                return activity;
            }

            Assert.False(deadline.IsCancellationRequested, "no matching activity was stopped");
            await Task.Delay(10, CancellationToken.None);
        }
    }

    private static string NewId() => Guid.NewGuid().ToString("N");
}
