using System.Net;
using LlmQueue.Contracts;
using LlmQueue.Engine;
using LlmQueue.Serving.Hosting;
using LlmQueue.TestKit.Serving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LlmQueue.Serving.Tests.Operations;

/// <summary>The endpoint in the real host (in-memory transport): what an orchestrator's probes see while the worker starts.</summary>
public sealed class OperationsEndpointTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task While_the_model_loads_the_replica_is_live_and_not_ready_then_ready()
    {
        using var probe = new OperationsProbe(LoopbackPort.Free());
        var builder = WorkerHost.CreateBuilder(
            ["--Logging:LogLevel:Default=Warning", $"--Operations:Port={probe.Port}", "--Operations:BindAddress=127.0.0.1", "--Transport:RequestQueue=llmq-ops-loading"]);
        // The engine is built when the host starts it; this one is held until the test has probed the loading replica.
        var loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        builder.Services.AddSingleton<IGenerationEngine>(_ =>
        {
            loaded.Task.Wait(s_timeout);
            return new ScriptedEngine();
        });
        using var host = builder.Build();

        var starting = Task.Run(() => host.StartAsync());
        var live = await probe.WaitForAsync("/healthz", HttpStatusCode.OK, s_timeout, () => starting.IsCompleted);
        var (status, detail) = await probe.GetAsync("/readyz");
        loaded.SetResult();
        await starting;
        var ready = await probe.WaitForAsync("/readyz", HttpStatusCode.OK, s_timeout);
        await host.StopAsync();

        Assert.Equal("live", live.Trim());
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "not ready: model loading; transport starting"), (status, detail.Trim()));
        Assert.Equal("ready", ready.Trim());
    }

    [Fact]
    public async Task Unknown_paths_are_404_and_metrics_are_prometheus_text_with_the_worker_meter()
    {
        using var probe = new OperationsProbe(LoopbackPort.Free());
        await using var host = await WorkerTestHost.StartAsync(new ScriptedEngine { AutoDeltas = ["x"] }, $"--Operations:Port={probe.Port}", "--Operations:BindAddress=127.0.0.1");
        await host.SendAsync(new GenerateRequest { RequestId = "counted", Prompt = "p" });
        await host.Replies.NextAsync<GenerateCompleted>();

        Assert.Equal(HttpStatusCode.NotFound, (await probe.GetAsync("/healthz/extra")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await probe.GetAsync("/")).Status);
        var scrape = await probe.ScrapeAsync();

        // Other hosts in this test process publish meters of the same names, which the exporter also reads: at least ours.
        Assert.Equal("counter", scrape.Types["llmq_transport_received_total"]);
        Assert.True(scrape.Value("llmq_transport_received_total", ("otel_scope_name", ServingMetrics.MeterName)) >= 1);
    }
}
