using System.Diagnostics;
using System.Globalization;
using LlmQueue.Client;
using LlmQueue.Contracts;
using LlmQueue.Serving.Hosting;
using LlmQueue.TestKit.ServiceBus;
using LlmQueue.Transport.InMemory;
using LlmQueue.Transport.RabbitMq;
using LlmQueue.Transport.ServiceBus;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Bench;

/// <summary>
/// The queue path: requests/s for 1-token requests through a transport (worker and client in this
/// process, so a 2-core machine runs broker, worker and producer at once), and the enqueue-to-first-chunk
/// time beyond the worker's own time to first token. With --servicebus, Azure Service Bus through the in-process test
/// broker (tests/TestKit.ServiceBus), which the unmodified SDK talks AMQP 1.0 to over loopback.
/// </summary>
internal static class QueueBenchmark
{
    private const int Window = 128;

    private const string RequestQueue = "llmq-bench";

    public static async Task RunAsync(bool smoke, string? rabbitMq, bool serviceBus, TextWriter output)
    {
        var requests = smoke ? 40 : 4000;
        var repeats = smoke ? 1 : 3;
        var probes = smoke ? 20 : 400;
        var transport = serviceBus ? "Service Bus (in-process test broker)" : rabbitMq is null ? "in-memory" : $"RabbitMQ {rabbitMq}";
        await using var testBroker = serviceBus ? StartServiceBusTestBroker() : null;
        var (host, client) = await StartAsync(rabbitMq, testBroker);
        using var disposeHost = host;
        await client.StartAsync();

        await ThroughputAsync(client, Window, stream: false); // warm-up: JIT, connections, queues
        var plain = new List<double>();
        var streamed = new List<double>();
        for (var r = 0; r < repeats; r++)
        {
            plain.Add(await ThroughputAsync(client, requests, stream: false));
            streamed.Add(await ThroughputAsync(client, requests, stream: true));
        }

        var idle = await OverheadAsync(client, probes, concurrency: 1);
        var loaded = await OverheadAsync(client, probes, concurrency: 32);
        output.WriteLine($"transport {transport}: {requests} one-token requests, {Window} in flight, median of {repeats}");
        output.WriteLine("| transport | requests/s (completion only) | requests/s (streamed: chunk + completion) | first-chunk overhead p50 / p99 ms (1 in flight) | p50 / p99 ms (32 in flight) |");
        output.WriteLine("|---|---|---|---|---|");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {transport} | {Stats.Median(plain):F0} | {Stats.Median(streamed):F0} | {idle.P50:F2} / {idle.P99:F2} | {loaded.P50:F2} / {loaded.P99:F2} |"));
        await client.DisposeAsync();
        await host.StopAsync();
    }

    /// <summary>The entities a Service Bus deployment provides (the SDK cannot create them).</summary>
    private static ServiceBusTestBroker StartServiceBusTestBroker()
    {
        var broker = ServiceBusTestBroker.Start();
        var defaults = new ServiceBusOptions();
        broker.CreateQueue(RequestQueue, new ServiceBusTestEntityOptions { LockDuration = TimeSpan.FromMinutes(1), MaxDeliveryCount = 10 });
        broker.CreateQueue(defaults.ReplyQueue, new ServiceBusTestEntityOptions { RequiresSession = true, LockDuration = TimeSpan.FromMinutes(5) });
        broker.CreateQueue("llmq-callbacks");
        broker.CreateTopic("llmq-cancel");
        broker.CreateSubscription("llmq-cancel", defaults.CancelSubscription);
        return broker;
    }

    private static async Task<(IHost Host, InferenceClient Client)> StartAsync(string? rabbitMq, ServiceBusTestBroker? serviceBus)
    {
        var broker = new BrokerOptions { Kind = BrokerKind.InMemory, InMemory = new InMemoryBroker() };
        var args = new List<string>
        {
            "--Engine:SyntheticModel=tiny", "--Engine:ModelPath=", "--Engine:KvCacheMiB=64",
            "--Engine:MaxRunningRequests=" + Window, "--Engine:MaxBatchTokens=1024",
            $"--Transport:RequestQueue={RequestQueue}", "--Logging:LogLevel:Default=Warning", "--Operations:Port=0",
        };
        if (rabbitMq is not null)
        {
            var (hostName, port) = (rabbitMq.Split(':')[0], rabbitMq.Split(':')[1]);
            args.AddRange(["--Transport:Kind=RabbitMq", $"--Transport:RabbitMq:Host={hostName}", $"--Transport:RabbitMq:Port={port}"]);
            broker = new BrokerOptions
            {
                Kind = BrokerKind.RabbitMq,
                RabbitMq = new RabbitMqOptions { Host = hostName, Port = int.Parse(port, CultureInfo.InvariantCulture) },
            };
        }

        else if (serviceBus is not null)
        {
            args.AddRange(["--Transport:Kind=ServiceBus", $"--Transport:ServiceBus:ConnectionString={serviceBus.ConnectionString}"]);
            broker = new BrokerOptions { Kind = BrokerKind.ServiceBus, ServiceBus = new ServiceBusOptions { ConnectionString = serviceBus.ConnectionString } };
        }

        var builder = WorkerHost.CreateBuilder([.. args]);
        if (broker.InMemory is { } inMemory)
        {
            builder.Services.AddSingleton(inMemory);
        }

        builder.Services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var host = builder.Build();
        await host.StartAsync();
        return (host, new InferenceClient(broker, new InferenceClientOptions { RequestQueue = RequestQueue }));
    }

    private static GenerateRequest OneToken() => new()
    {
        RequestId = Guid.NewGuid().ToString("N"),
        Prompt = "Hi",
        Sampling = new SamplingParams { MaxTokens = 1, Temperature = 0, IgnoreEos = true },
    };

    /// <summary>Requests/s with at most <see cref="Window"/> outstanding.</summary>
    private static async Task<double> ThroughputAsync(InferenceClient client, int count, bool stream)
    {
        using var window = new SemaphoreSlim(Window);
        var start = Stopwatch.GetTimestamp();
        var tasks = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            await window.WaitAsync();
            tasks.Add(RunOneAsync(client, stream).ContinueWith(t => { window.Release(); t.GetAwaiter().GetResult(); }, TaskScheduler.Default));
        }

        await Task.WhenAll(tasks);
        return count / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static async Task RunOneAsync(InferenceClient client, bool stream)
    {
        if (!stream)
        {
            await client.GenerateAsync(OneToken());
            return;
        }

        await foreach (var _ in client.StreamAsync(OneToken()))
        {
        }
    }

    /// <summary>Client-seen time to first chunk minus the worker's reported TTFT (receipt to first token).</summary>
    private static async Task<(double P50, double P99)> OverheadAsync(InferenceClient client, int count, int concurrency)
    {
        var overheads = new List<double>(count);
        using var gate = new SemaphoreSlim(concurrency);
        var tasks = Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.WaitAsync();
            try
            {
                var start = Stopwatch.GetTimestamp();
                double? firstChunkMs = null;
                await foreach (var e in client.StreamEventsAsync(OneToken()))
                {
                    if (e is ChunkReceived && firstChunkMs is null)
                    {
                        firstChunkMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    }
                    else if (e is GenerationCompleted done && firstChunkMs is { } first)
                    {
                        lock (overheads)
                        {
                            overheads.Add(first - done.Completion.Timings.TtftMs);
                        }
                    }
                }
            }
            finally
            {
                gate.Release();
            }
        });
        await Task.WhenAll(tasks);
        return (Stats.Percentile(overheads, 0.5), Stats.Percentile(overheads, 0.99));
    }
}
