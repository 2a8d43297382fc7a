using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LlmQueue.Serving.Callbacks;

namespace LlmQueue.Bench;

/// <summary>
/// HTTP callback delivery on loopback: the worker's own cost of one signed POST and its answer (signing, the
/// connect-time address check, HTTP/1.1 on a pooled connection), one at a time and 16 at a time, against a receiver
/// in this process that answers 200 at once. What a real receiver adds (network, TLS, its own work) comes on top.
/// </summary>
internal static class CallbackBenchmark
{
    public static async Task RunAsync(bool smoke, TextWriter output)
    {
        var count = smoke ? 50 : 4000;
        using var receiver = new HttpListener();
        var port = FreePort();
        receiver.Prefixes.Add($"http://127.0.0.1:{port}/");
        receiver.Start();
        using var stop = new CancellationTokenSource();
        var serving = Task.Run(() => AnswerAsync(receiver, stop.Token));

        var options = new CallbackOptions { AllowHttp = true, AllowPrivateNetworks = true };
        options.Secrets.Add("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        using var meters = new MeterFactory();
        using var metrics = new CallbackMetrics(meters);
        using var http = CallbackHttp.CreateClient(options);
        var sender = new CallbackSender(http, options, TimeProvider.System, metrics);
        var body = """{"requestId":"bench","attempt":1,"text":" Paris.","tokenIds":[12366,13],"finishReason":"stop","usage":{"promptTokens":6,"cachedPromptTokens":0,"completionTokens":2},"timings":{"queuedMs":0.4,"ttftMs":38.2,"decodeTokensPerSec":41.7}}""";

        await SendAsync(sender, port, body, 100, concurrency: 4); // warm-up: JIT, connection pool
        output.WriteLine($"callback delivery on loopback, {count} POSTs per row, receiver answers 200 at once");
        output.WriteLine("| in flight | p50 ms | p99 ms | deliveries/s |");
        output.WriteLine("|---|---|---|---|");
        foreach (var concurrency in new[] { 1, 16 })
        {
            var (latencies, rate) = await SendAsync(sender, port, body, count, concurrency);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {concurrency} | {Stats.Percentile(latencies, 0.5):F3} | {Stats.Percentile(latencies, 0.99):F3} | {rate:F0} |"));
        }

        await stop.CancelAsync();
        receiver.Stop();
        await serving;
    }

    private static async Task<(List<double> Latencies, double Rate)> SendAsync(CallbackSender sender, int port, string body, int count, int concurrency)
    {
        var latencies = new List<double>(count);
        var next = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                var delivery = new CallbackDelivery
                {
                    WebhookId = "msg_bench", RequestId = "bench", Url = $"http://127.0.0.1:{port}/hook", Event = "completed",
                    MessageType = "GenerateCompleted", Body = body, FirstAttemptAt = DateTimeOffset.UtcNow,
                };
                var started = Stopwatch.GetTimestamp();
                var outcome = await sender.SendAsync(delivery, CancellationToken.None);
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (outcome.Result != CallbackResult.Delivered)
                {
                    throw new InvalidOperationException($"callback not delivered: {outcome.Detail}");
                }

                lock (latencies)
                {
                    latencies.Add(ms);
                }
            }
        }));
        return (latencies, count / clock.Elapsed.TotalSeconds);
    }

    private static async Task AnswerAsync(HttpListener listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                await context.Request.InputStream.CopyToAsync(Stream.Null);
                context.Response.StatusCode = 200;
                context.Response.Close();
            }, CancellationToken.None);
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>A meter factory of its own: the benchmark owns the callback metrics it creates.</summary>
    private sealed class MeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
