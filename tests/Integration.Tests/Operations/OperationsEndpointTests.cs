using System.Diagnostics;
using System.Globalization;
using System.Net;
using LlmQueue.Contracts;
using LlmQueue.TestKit.Serving;

namespace LlmQueue.Integration.Tests.Operations;

/// <summary>
/// The worker executable's operations endpoint, probed and scraped over HTTP as an orchestrator and Prometheus do:
/// /healthz, /readyz through start, broker loss and SIGTERM, and /metrics moving after real requests.
/// </summary>
[Collection(RabbitMqGroup.Name)]
public sealed class OperationsEndpointTests(RabbitMqServer broker)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);
    private static readonly string[] s_slowModel = ["--Engine:SyntheticModel=gemma3-small", "--Engine:KvCacheMiB=256"];

    private RabbitMqTestBed Bed { get; } = new(broker);

    [Fact]
    public async Task Health_and_readiness_answer_200_and_the_metrics_move_after_requests()
    {
        var queue = NewQueue();
        await using var producer = await Bed.ConnectProducerAsync();
        await using var worker = StartWorker(queue, out var probe);
        using var _ = probe;
        Assert.Equal("ready", (await probe.WaitForAsync("/readyz", HttpStatusCode.OK, s_timeout, () => worker.HasExited)).Trim());
        Assert.Equal((HttpStatusCode.OK, "live"), Trimmed(await probe.GetAsync("/healthz")));
        var before = await probe.ScrapeAsync();

        // The same long prompt twice: the second finds the first's full blocks in the local prefix cache.
        var prompt = string.Join(' ', Enumerable.Repeat("The quick brown fox jumps over the lazy dog.", 8));
        var first = await GenerateAsync(producer, queue, "ops-1", prompt);
        var second = await GenerateAsync(producer, queue, "ops-2", prompt);
        // A request is settled just after its final reply goes out, so the scrape waits for the second settlement
        // (the deadline only bounds a hang).
        var after = await probe.ScrapeAsync();
        for (var waited = Stopwatch.StartNew(); after.ValueOrZero("llmq_transport_settled_total", ("outcome", "complete")) - before.ValueOrZero("llmq_transport_settled_total", ("outcome", "complete")) < 2; after = await probe.ScrapeAsync())
        {
            Assert.True(waited.Elapsed < s_timeout, "the second request was not settled within " + s_timeout);
            await Task.Delay(20);
        }

        double Moved(string name, params (string, string)[] labels) => after.ValueOrZero(name, labels) - before.ValueOrZero(name, labels);
        Assert.Equal(2, Moved("llmq_transport_received_total"));
        Assert.Equal(2, Moved("llmq_transport_settled_total", ("outcome", "complete")));
        Assert.Equal(2, Moved("llmq_request_finished_total", ("finish_reason", FinishReasons.Length)));
        Assert.Equal(first.Completion + second.Completion, Moved("llmq_engine_generated_tokens_total"));
        Assert.Equal(first.Prompt + second.Prompt, Moved("llmq_engine_prompt_tokens_total"));
        Assert.True(second.Cached > 0, "the second request reused no cached prompt tokens");
        Assert.Equal(first.Cached + second.Cached, Moved("llmq_engine_cached_prompt_tokens_total", ("source", "local")));
        Assert.Equal(0, Moved("llmq_engine_cached_prompt_tokens_total", ("source", "remote")));

        // Latency histograms: one observation per request; inter-token latency one per token after each first delta.
        foreach (var family in new[] { "llmq_request_time_to_first_token_seconds", "llmq_request_e2e_latency_seconds", "llmq_request_queue_time_seconds" })
        {
            Assert.Equal("histogram", after.Types[family]);
            AssertWellFormed(after.Histogram(family));
            Assert.Equal(2, after.Histogram(family).Count - before.Histogram(family).Count);
        }

        var interToken = after.Histogram("llmq_request_inter_token_latency_seconds");
        AssertWellFormed(interToken);
        Assert.Equal(first.Completion - first.FirstChunkTokens + second.Completion - second.FirstChunkTokens,
            interToken.Count - before.Histogram("llmq_request_inter_token_latency_seconds").Count);
        Assert.True(after.Histogram("llmq_request_e2e_latency_seconds").Sum > after.Histogram("llmq_request_time_to_first_token_seconds").Sum);
        // Bounds in seconds (not the SDK's millisecond defaults): TTFT resolves milliseconds, end-to-end reaches an hour.
        Assert.Contains(after.Histogram("llmq_request_time_to_first_token_seconds").Buckets, bucket => bucket.Bound is > 0 and < 0.01);
        Assert.Contains(after.Histogram("llmq_request_e2e_latency_seconds").Buckets, bucket => bucket.Bound is >= 3600 and < double.PositiveInfinity);

        // Gauges of the engine's state: idle again, a KV pool of the configured size at most.
        Assert.Equal((0, 0), (after.Value("llmq_engine_running"), after.Value("llmq_engine_waiting")));
        Assert.InRange(after.Value("llmq_engine_kv_capacity_bytes"), 1, 16 << 20);
        Assert.Equal(after.Value("llmq_engine_kv_capacity_bytes"), after.Value("llmq_engine_kv_reclaimable_bytes"));
        Assert.Equal("counter", after.Types["llmq_engine_preemptions_total"]);
        // The CPU runner reports no device memory.
        Assert.Empty(after.Where("llmq_device_memory_used_bytes"));
    }

    [Fact]
    public async Task Readiness_turns_false_on_SIGTERM_before_the_drain_ends_and_the_returned_request_is_redelivered()
    {
        var queue = NewQueue();
        await using var producer = await Bed.ConnectProducerAsync();
        // One thread on the 40M-parameter model: 12,000 tokens take far longer than the drain timeout on any CPU.
        await using var worker = StartWorker(queue, out var probe, [.. s_slowModel, "--Engine:Threads=1", "--Transport:DrainTimeoutSeconds=8",
            "--Operations:TerminationGracePeriodSeconds=45"]);
        using var _ = probe;
        await probe.WaitForAsync("/readyz", HttpStatusCode.OK, s_timeout, () => worker.HasExited);
        await producer.PublishAsync(queue,
            $$$"""{"requestId":"held","prompt":"Hold this","stream":true,"replyTo":"{{{producer.ReplyQueue}}}","sampling":{"maxTokens":12000,"ignoreEos":true,"seed":1}}""");
        Assert.Equal(nameof(TokenChunk), (await producer.NextAsync(s_timeout)).Type);

        worker.Terminate();
        var notReady = await probe.WaitForAsync("/readyz", HttpStatusCode.ServiceUnavailable, s_timeout, () => worker.HasExited);
        var stillDraining = !worker.Output.Contains("Drain timeout", StringComparison.Ordinal);

        Assert.Contains("draining", notReady, StringComparison.Ordinal);
        Assert.True(stillDraining, "readiness went false only after the drain had ended");
        Assert.Equal(200, (int)(await probe.GetAsync("/healthz")).Status);
        Assert.Equal(0, await worker.WaitForExitAsync(s_timeout));
        Assert.Contains("Drain timeout: cancelling 1 unfinished requests", worker.Output, StringComparison.Ordinal);
        // Returned unanswered: the broker holds it for the next replica, which starts it again as attempt 2.
        Assert.Equal(1u, await broker.ReadyMessagesAsync(queue));
        await using var next = StartWorker(queue, out var nextProbe, s_slowModel);
        using var __ = nextProbe;
        RawReply reply;
        while ((reply = await producer.NextAsync(s_timeout)).Type == nameof(TokenChunk) && reply.Number("attempt") == 1)
        {
        }

        Assert.Equal(("held", 2), (reply.Text("requestId"), reply.Number("attempt")));
    }

    [Fact]
    public async Task Readiness_is_false_and_liveness_true_while_the_broker_is_unreachable()
    {
        await using var worker = StartWorker(NewQueue(), out var probe, $"--Transport:RabbitMq:Port={LoopbackPort.Free()}");
        using var _ = probe;

        await probe.WaitForAsync("/healthz", HttpStatusCode.OK, s_timeout, () => worker.HasExited);
        var notReady = await probe.WaitForAsync("/readyz", HttpStatusCode.ServiceUnavailable, s_timeout, () => worker.HasExited);
        await worker.WaitForOutputAsync("next connection attempt in", s_timeout);

        Assert.Matches("transport (starting|recovering)", notReady);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await probe.GetAsync("/readyz")).Status);
        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/healthz")).Status);
        Assert.DoesNotContain("   at ", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_an_otlp_endpoint_the_request_trace_and_the_metrics_are_exported()
    {
        var queue = NewQueue();
        using var collector = new OtlpHttpSink();
        await using var producer = await Bed.ConnectProducerAsync();
        var probe = new OperationsProbe(LoopbackPort.Free());
        using var _ = probe;
        // The standard OTEL_* variables still apply: short export intervals so the test does not wait for the defaults.
        await using var worker = WorkerProcess.Start(
            [.. WorkerArguments(queue), $"--Operations:Port={probe.Port}", "--Operations:BindAddress=127.0.0.1",
                $"--Operations:OtlpEndpoint={collector.Endpoint}", "--Operations:OtlpProtocol=HttpProtobuf"],
            new Dictionary<string, string> { ["OTEL_BSP_SCHEDULE_DELAY"] = "100", ["OTEL_METRIC_EXPORT_INTERVAL"] = "500" });
        await probe.WaitForAsync("/readyz", HttpStatusCode.OK, s_timeout, () => worker.HasExited);
        var requestId = $"otlp-{Guid.NewGuid():N}";

        await GenerateAsync(producer, queue, requestId, "Trace me");

        await collector.WaitForAsync("/v1/traces", s_timeout, "LlmQueue.Worker", "llmq.request_id", requestId, "llmq.ttft_ms", "llmq-worker");
        await collector.WaitForAsync("/v1/metrics", s_timeout, "llmq.request.e2e_latency", "llmq.engine.generated_tokens");
    }

    [Fact]
    public async Task A_drain_that_does_not_fit_the_grace_period_stops_the_worker_at_start_with_exit_code_2()
    {
        await using var worker = StartWorker(NewQueue(), out var probe, "--Transport:DrainTimeoutSeconds=30", "--Operations:TerminationGracePeriodSeconds=45");
        using var _ = probe;

        Assert.Equal(2, await worker.WaitForExitAsync(s_timeout));
        Assert.Contains("Configuration error: Transport:DrainTimeoutSeconds (30) plus 30 s", worker.Output, StringComparison.Ordinal);
        Assert.Contains("Operations:TerminationGracePeriodSeconds (45)", worker.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_operations_port_in_use_stops_the_worker_at_start_with_one_line_and_exit_code_2()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        await using var worker = WorkerProcess.Start([.. WorkerArguments(NewQueue()), $"--Operations:Port={port}", "--Operations:BindAddress=127.0.0.1"]);

        Assert.Equal(2, await worker.WaitForExitAsync(s_timeout));
        Assert.Contains($"Configuration error: Operations:Port {port.ToString(CultureInfo.InvariantCulture)} cannot be bound on 127.0.0.1", worker.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", worker.Output, StringComparison.Ordinal);
    }

    private static void AssertWellFormed(PrometheusHistogram histogram)
    {
        Assert.NotEmpty(histogram.Buckets);
        Assert.Equal(double.PositiveInfinity, histogram.Buckets[^1].Bound);
        Assert.Equal(histogram.Count, histogram.Buckets[^1].Count);
        Assert.All(histogram.Buckets.Zip(histogram.Buckets.Skip(1)), pair => Assert.True(pair.First.Count <= pair.Second.Count, "bucket counts are not cumulative"));
        Assert.True(histogram.Sum >= 0);
    }

    /// <summary>Sends one streamed request and reads its replies to the end: its usage and the first chunk's token count.</summary>
    private static async Task<(int Prompt, int Cached, int Completion, int FirstChunkTokens)> GenerateAsync(
        RawProducer producer, string queue, string requestId, string prompt)
    {
        await producer.PublishAsync(queue,
            $$$"""{"requestId":"{{{requestId}}}","prompt":"{{{prompt}}}","stream":true,"replyTo":"{{{producer.ReplyQueue}}}","sampling":{"maxTokens":12,"ignoreEos":true,"seed":7}}""");
        var firstChunkTokens = -1;
        while (true)
        {
            var reply = await producer.NextAsync(s_timeout);
            Assert.Equal(requestId, reply.Text("requestId"));
            if (reply.Type == nameof(TokenChunk))
            {
                firstChunkTokens = firstChunkTokens < 0 ? reply.Body.GetProperty("tokenIds").GetArrayLength() : firstChunkTokens;
                continue;
            }

            Assert.Equal(nameof(GenerateCompleted), reply.Type);
            var usage = reply.Body.GetProperty("usage");
            return (usage.GetProperty("promptTokens").GetInt32(), usage.GetProperty("cachedPromptTokens").GetInt32(),
                usage.GetProperty("completionTokens").GetInt32(), firstChunkTokens);
        }
    }

    /// <summary>The worker process on the test broker and the tiny model, its operations endpoint on a free loopback port.</summary>
    private WorkerProcess StartWorker(string queue, out OperationsProbe probe, params string[] settings)
    {
        probe = new OperationsProbe(LoopbackPort.Free());
        return WorkerProcess.Start([.. WorkerArguments(queue), $"--Operations:Port={probe.Port}", "--Operations:BindAddress=127.0.0.1", .. settings]);
    }

    private string[] WorkerArguments(string queue) => WorkerProcessArguments.For(Bed, queue);

    private static (HttpStatusCode, string) Trimmed((HttpStatusCode Status, string Body) response) => (response.Status, response.Body.Trim());

    private static string NewQueue() => $"llmq-ops-{Guid.NewGuid():N}";
}
