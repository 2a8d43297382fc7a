using System.Globalization;
using LlmQueue.Contracts;
using LlmQueue.Serving.Hosting;
using LlmQueue.TestKit.Serving;
using RabbitMQ.Client;

namespace LlmQueue.Integration.Tests;

/// <summary>
/// The Worker executable as a process on a real RabbitMQ: kill -9 mid-stream, a memory-limited barrage of huge
/// bodies, a queued burst, and the exit codes of a bad start and of a faulted transport. Sizes are smoke-sized unless
/// LLMQ_FAULT_SCALE=full (the benchmark run recorded in docs/BENCHMARKS.md).
/// </summary>
[Collection(RabbitMqGroup.Name)]
[Trait("Category", "FaultInjection")]
public sealed class WorkerProcessTests(RabbitMqServer broker)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);
    private static readonly bool s_full = Environment.GetEnvironmentVariable("LLMQ_FAULT_SCALE") == "full";

    private RabbitMqTestBed Bed { get; } = new(broker);

    [Fact]
    public async Task Kill_9_mid_stream_loses_none_of_100_streamed_requests()
    {
        const int count = 100;
        var queue = NewQueue();
        await using var producer = await Bed.ConnectProducerAsync();
        await using var first = await StartReadyAsync(queue);
        for (var i = 0; i < count; i++)
        {
            await producer.PublishAsync(queue, $$$"""{"requestId":"k{{{i}}}","prompt":"Hello {{{i}}}","stream":true,"replyTo":"{{{producer.ReplyQueue}}}","sampling":{"maxTokens":48,"ignoreEos":true,"seed":{{{i}}}}}""");
        }

        // Let it get well into streaming, then kill it without warning.
        var completed = new Dictionary<string, RawReply>();
        var chunks = 0;
        while (chunks < 200)
        {
            var reply = await producer.NextAsync();
            chunks += reply.Type == nameof(TokenChunk) ? 1 : 0;
            Record(completed, reply);
        }

        first.Kill();
        await first.WaitForExitAsync(s_timeout);
        var completedByFirst = completed.Count;
        await using var second = await StartReadyAsync(queue);
        while (completed.Count < count)
        {
            Record(completed, await producer.NextAsync(s_timeout));
        }

        Assert.Equal(count, completed.Count);
        Assert.All(completed.Values, c => Assert.Equal(48, c.Body.GetProperty("usage").GetProperty("completionTokens").GetInt32()));
        // What the killed worker held unacknowledged came back as a later attempt.
        Assert.True(completedByFirst < count);
        Assert.Contains(completed.Values, c => c.Number("attempt") >= 2);
        Assert.Equal(0u, await broker.ReadyMessagesAsync(queue));
    }

    [Fact]
    public async Task Huge_bodies_under_a_768_MB_heap_limit_are_refused_and_memory_stays_bounded()
    {
        var queue = NewQueue();
        await using var producer = await Bed.ConnectProducerAsync();
        await using var worker = await StartReadyAsync(queue, new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x30000000" });
        var prompt = new string('x', 5 << 20);

        for (var round = 0; round < 3; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 20).Select(i => producer.PublishAsync(queue,
                $$$"""{"requestId":"huge-{{{round}}}-{{{i}}}","prompt":"{{{prompt}}}","replyTo":"{{{producer.ReplyQueue}}}"}""")));
            for (var i = 0; i < 20; i++)
            {
                var failed = await producer.NextAsync(s_timeout);
                Assert.Equal((nameof(GenerateFailed), ErrorCodes.MessageTooLarge), (failed.Type, failed.Text("code")));
            }
        }

        await producer.PublishAsync(queue, $$$"""{"requestId":"after","prompt":"p","replyTo":"{{{producer.ReplyQueue}}}","sampling":{"maxTokens":2}}""");
        Assert.Equal((nameof(GenerateCompleted), "after"), ((await producer.NextAsync()).Type, "after"));
        Assert.False(worker.HasExited);
        var peakMiB = worker.PeakRssBytes >> 20;
        // 60 bodies of 5 MB went through; the worker kept at most a prefetch window of them at once.
        Assert.True(peakMiB < 700, $"peak RSS {peakMiB} MiB");
        Console.WriteLine($"huge-body barrage: peak RSS {peakMiB} MiB");
    }

    [Fact]
    public async Task A_queued_burst_of_one_token_requests_all_completes()
    {
        var count = s_full ? 10_000 : 2_000;
        var queue = NewQueue();
        await using var producer = await Bed.ConnectProducerAsync();
        // Declared by a first worker, which leaves; the burst then waits in the broker for the next one.
        await using (var declare = await StartReadyAsync(queue))
        {
            declare.Terminate();
            Assert.Equal(0, await declare.WaitForExitAsync(s_timeout));
        }

        for (var i = 0; i < count; i++)
        {
            await producer.PublishAsync(queue, $$$"""{"requestId":"b{{{i}}}","prompt":"Hi","replyTo":"{{{producer.ReplyQueue}}}","sampling":{"maxTokens":1,"ignoreEos":true}}""");
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var worker = await StartReadyAsync(queue, settings: ["--Engine:MaxRunningRequests=64"]);
        var seen = new HashSet<string>();
        while (seen.Count < count)
        {
            var reply = await producer.NextAsync(s_timeout);
            Assert.Equal(nameof(GenerateCompleted), reply.Type);
            seen.Add(reply.Text("requestId"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"queued burst: {count} one-token requests in {clock.Elapsed.TotalSeconds:F1} s ({count / clock.Elapsed.TotalSeconds:F0}/s), worker peak RSS {worker.PeakRssBytes >> 20} MiB"));
        Assert.Equal(0u, await broker.ReadyMessagesAsync(queue));
    }

    [Fact]
    public async Task A_bad_setting_stops_the_worker_at_start_with_one_line_and_exit_code_2()
    {
        await using var worker = WorkerProcess.Start([.. WorkerArguments(NewQueue()), "--Transport:RabbitMq:Port=0"]);

        Assert.Equal(ExitCodes.Configuration, await worker.WaitForExitAsync(s_timeout));
        Assert.Contains("Configuration error: Transport:RabbitMq:Port must be 1-65535, got 0.", worker.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_model_stops_the_worker_at_start_with_one_line_and_exit_code_3()
    {
        var folder = Directory.CreateTempSubdirectory("llmq-broken-model-").FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "config.json"), "{ this is not json");
        try
        {
            await using var worker = WorkerProcess.Start([.. WorkerArguments(NewQueue()), $"--Engine:ModelPath={folder}"]);

            Assert.Equal(ExitCodes.Model, await worker.WaitForExitAsync(s_timeout));
            Assert.Contains("Model error:", worker.Output, StringComparison.Ordinal);
            Assert.Contains("config.json", worker.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", worker.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_request_queue_the_broker_refuses_faults_the_transport_and_the_worker_exits_with_code_4()
    {
        var queue = NewQueue();
        // Someone declared the queue as a plain classic queue: the worker's quorum declaration is refused (406).
        await using (var connection = await broker.ConnectionFactory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        }

        try
        {
            await using var worker = WorkerProcess.Start([.. WorkerArguments(queue), "--Transport:FaultedExitSeconds=1"]);

            Assert.Equal(ExitCodes.TransportFaulted, await worker.WaitForExitAsync(s_timeout));
            Assert.Contains("other arguments", worker.Output, StringComparison.Ordinal);
        }
        finally
        {
            await using var connection = await broker.ConnectionFactory.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(queue);
        }
    }

    private async Task<WorkerProcess> StartReadyAsync(string queue, IReadOnlyDictionary<string, string>? environment = null, params string[] settings)
    {
        var worker = WorkerProcess.Start([.. WorkerArguments(queue), .. settings], environment);
        try
        {
            await worker.WaitForOutputAsync("Receiving requests", s_timeout);
            return worker;
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }
    }

    private string[] WorkerArguments(string queue) => WorkerProcessArguments.For(Bed, queue);

    private static void Record(Dictionary<string, RawReply> completed, RawReply reply)
    {
        if (reply.Type == nameof(GenerateCompleted))
        {
            completed[reply.Text("requestId")] = reply;
        }
    }

    private static string NewQueue() => $"llmq-proc-{Guid.NewGuid():N}";
}
