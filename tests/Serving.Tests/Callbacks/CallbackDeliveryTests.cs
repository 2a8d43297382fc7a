using System.Text.Json;
using LlmQueue.Client;
using LlmQueue.Contracts;
using LlmQueue.TestKit.Serving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LlmQueue.Serving.Tests.Callbacks;

/// <summary>Result callbacks through the real host on the in-process broker, to a receiver on loopback.</summary>
public sealed class CallbackDeliveryTests
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static readonly string[] s_loopbackAllowed =
        ["--Callbacks:Secrets:0=" + Secret, "--Callbacks:AllowHttp=true", "--Callbacks:AllowPrivateNetworks=true", "--Callbacks:FirstRetrySeconds=5"];

    [Fact]
    public async Task Failing_callback_is_retried_from_the_queue_with_the_same_webhook_id_and_growing_delays()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var receiver = LoopbackReceiver.Start(time, 500, 500, 200);
        await using var host = await WorkerTestHost.StartAsync(new ScriptedEngine { AutoDeltas = ["done"] }, s => s.AddSingleton<TimeProvider>(time), s_loopbackAllowed);

        await host.SendAsync(new GenerateRequest { RequestId = "cb", Prompt = "p", ReplyTo = null, Callback = new ResultCallback { Url = receiver.Url } }, noReplyTo: true);

        await UntilAsync(() => receiver.Received.Count == 1);
        // The first attempt failed and its retry is in the queue: the request itself is settled.
        await UntilAsync(() => host.Unsettled == 0);
        await AdvanceUntilAsync(time, () => receiver.Received.Count == 2);
        await AdvanceUntilAsync(time, () => receiver.Received.Count == 3);
        await Task.Delay(50);

        var hits = receiver.Received.ToArray();
        Assert.Equal(3, hits.Length);
        Assert.Single(hits.Select(h => h.Id).Distinct());
        var (first, second) = (hits[1].At - hits[0].At, hits[2].At - hits[1].At);
        Assert.InRange(first.TotalSeconds, 4, 7);
        Assert.InRange(second.TotalSeconds, 8, 13);
        var verifier = new WebhookVerifier([Secret], time: time);
        Assert.All(hits, h => verifier.Verify(h.Id, h.Timestamp, h.Signature, h.Body));
        using var body = JsonDocument.Parse(hits[2].Body);
        Assert.Equal(("cb", "length", "done"), (body.RootElement.GetProperty("requestId").GetString(), body.RootElement.GetProperty("finishReason").GetString(), body.RootElement.GetProperty("text").GetString()));
        Assert.Equal(CallbackEvents.Completed, hits[2].Event);
    }

    [Fact]
    public async Task Gone_stops_delivery_after_one_attempt()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var receiver = LoopbackReceiver.Start(time, 410);
        await using var host = await WorkerTestHost.StartAsync(new ScriptedEngine { AutoDeltas = ["x"] }, s => s.AddSingleton<TimeProvider>(time), s_loopbackAllowed);

        await host.SendAsync(new GenerateRequest { RequestId = "gone", Prompt = "p", Callback = new ResultCallback { Url = receiver.Url } }, noReplyTo: true);
        await UntilAsync(() => receiver.Received.Count == 1 && host.Unsettled == 0);
        time.Advance(TimeSpan.FromHours(2));
        // A follow-up proves the worker went on; had a retry been scheduled it would have reached the receiver by now.
        await host.SendAsync(new GenerateRequest { RequestId = "follow-up", Prompt = "p" });
        await host.Replies.NextAsync<GenerateCompleted>();

        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task Queue_and_callback_both_receive_the_result_and_only_the_asked_events_are_posted()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var receiver = LoopbackReceiver.Start(time, 200);
        await using var host = await WorkerTestHost.StartAsync(new ScriptedEngine { AutoDeltas = ["a", "b"] }, s => s.AddSingleton<TimeProvider>(time), s_loopbackAllowed);

        await host.SendAsync(new GenerateRequest { RequestId = "both", Prompt = "p", Stream = true, Callback = new ResultCallback { Url = receiver.Url } });
        Assert.Equal(0, (await host.Replies.NextAsync<TokenChunk>()).Seq);
        Assert.Equal(1, (await host.Replies.NextAsync<TokenChunk>()).Seq);
        Assert.Equal("both", (await host.Replies.NextAsync<GenerateCompleted>()).RequestId);

        await host.SendAsync(new GenerateRequest { RequestId = "failed-only", Prompt = "p", Callback = new ResultCallback { Url = receiver.Url, Events = [CallbackEvents.Failed] } });
        Assert.Equal("failed-only", (await host.Replies.NextAsync<GenerateCompleted>()).RequestId);
        // Settled only after every reply target had its turn: the callback of "both" arrived, "failed-only" posted none.
        await UntilAsync(() => host.Unsettled == 0);
        var hit = Assert.Single(receiver.Received);
        Assert.Contains("\"both\"", System.Text.Encoding.UTF8.GetString(hit.Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_callback_host_that_resolves_to_loopback_is_refused_at_connect_and_the_request_dead_lettered()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var receiver = LoopbackReceiver.Start(time, 200);
        await using var host = await WorkerTestHost.StartAsync(new ScriptedEngine { AutoDeltas = ["x"] }, s => s.AddSingleton<TimeProvider>(time),
            "--Callbacks:Secrets:0=" + Secret, "--Callbacks:AllowHttp=true");

        await host.SendAsync(new GenerateRequest { RequestId = "ssrf", Prompt = "p", Callback = new ResultCallback { Url = $"http://localhost:{receiver.Port}/hook" } }, noReplyTo: true);

        var dead = Assert.Single(await host.TakeDeadLettersAsync(1));
        Assert.Equal("reply_undeliverable", dead.Reason);
        Assert.Contains("loopback", dead.Description, StringComparison.Ordinal);
        Assert.Empty(receiver.Received);
    }

    [Theory]
    [InlineData("https://127.0.0.1:9/hook", "loopback")]
    [InlineData("https://10.1.2.3/hook", "private")]
    [InlineData("https://169.254.169.254/latest/meta-data", "link-local")]
    [InlineData("https://[::1]/hook", "loopback")]
    [InlineData("http://example.com/hook", "https")]
    [InlineData("ftp://example.com/hook", "http(s)")]
    [InlineData("https://user:pw@example.com/hook", "credentials")]
    public async Task Callback_targets_the_worker_will_not_call_are_answered_invalid_request_at_once(string url, string mentioned)
    {
        await using var host = await WorkerTestHost.StartAsync(new ScriptedEngine { AutoDeltas = ["x"] }, "--Callbacks:Secrets:0=" + Secret);

        await host.SendAsync(new GenerateRequest { RequestId = "bad-callback", Prompt = "p", Callback = new ResultCallback { Url = url } });

        var failed = await host.Replies.NextAsync<GenerateFailed>();
        Assert.Equal(ErrorCodes.InvalidRequest, failed.Code);
        Assert.Contains(mentioned, failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_signing_secret_the_worker_takes_no_callbacks()
    {
        await using var host = await WorkerTestHost.StartAsync(new ScriptedEngine { AutoDeltas = ["x"] });

        await host.SendAsync(new GenerateRequest { RequestId = "unsigned", Prompt = "p", Callback = new ResultCallback { Url = "https://example.com/hook" } });

        Assert.Contains("Callbacks:Secrets", (await host.Replies.NextAsync<GenerateFailed>()).Message, StringComparison.Ordinal);
    }

    /// <summary>Waits (bounded) for work the worker does on its own; not a timing assertion.</summary>
    private static async Task UntilAsync(Func<bool> condition)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "condition not reached");
            await Task.Delay(10);
        }
    }

    /// <summary>Moves the fake clock a second at a time until the condition holds (the scheduled retry came due).</summary>
    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> condition)
    {
        for (var second = 0; second < 120 && !condition(); second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            // Let the due timer's continuation run and post; bounded by the loop, not asserted on.
            for (var spin = 0; spin < 20 && !condition(); spin++)
            {
                await Task.Delay(5);
            }
        }

        Assert.True(condition(), "the retry never came due");
    }
}
