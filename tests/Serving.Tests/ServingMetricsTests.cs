using System.Diagnostics.Metrics;
using LlmQueue.Contracts;
using LlmQueue.Engine;
using LlmQueue.Serving.Operations;
using LlmQueue.Serving.Options;
using LlmQueue.TestKit.Serving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;

namespace LlmQueue.Serving.Tests;

/// <summary>The worker meter's request histograms, recorded by the real host from the serving core (scripted engine).</summary>
public sealed class ServingMetricsTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private static readonly IOptions<TransportOptions> s_transport = Microsoft.Extensions.Options.Options.Create(new TransportOptions());

    [Fact]
    public async Task A_finished_request_records_its_latencies_once_and_one_inter_token_gap_per_later_token()
    {
        var engine = new ScriptedEngine();
        await using var host = await WorkerTestHost.StartAsync(engine);
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        using var ttft = Collect<double>(meters, "llmq.request.time_to_first_token");
        using var interToken = Collect<double>(meters, "llmq.request.inter_token_latency");
        using var endToEnd = Collect<double>(meters, "llmq.request.e2e_latency");
        using var queueTime = Collect<double>(meters, "llmq.request.queue_time");
        using var finished = Collect<long>(meters, "llmq.request.finished");

        await host.SendAsync(new GenerateRequest { RequestId = "timed", Prompt = "p", Stream = true });
        var generation = await engine.NextSubmittedAsync();
        generation.Emit("a");
        // Its chunk arrived, so the server has read the first token: the next gap is at least the pause below.
        await host.Replies.NextAsync<TokenChunk>();
        var pause = TimeSpan.FromMilliseconds(30);
        await Task.Delay(pause);
        generation.Emit("b");
        generation.Emit("c");
        generation.Finish(FinishReason.Length);
        await finished.WaitForMeasurementsAsync(1, s_timeout);

        Assert.Equal(FinishReasons.Length, Assert.Single(finished.GetMeasurementSnapshot()).Tags["finish_reason"]);
        Assert.Single(ttft.GetMeasurementSnapshot());
        Assert.Single(queueTime.GetMeasurementSnapshot());
        var total = Assert.Single(endToEnd.GetMeasurementSnapshot()).Value;
        var gaps = interToken.GetMeasurementSnapshot().Select(m => m.Value).ToList();
        Assert.Equal(2, gaps.Count);
        // "b" came at least the pause after "a" (a lower bound: no scheduling delay can make it shorter).
        Assert.True(gaps[0] >= pause.TotalSeconds, $"gap {gaps[0]} s");
        Assert.True(total >= gaps.Sum(), $"end-to-end {total} s is shorter than the gaps {gaps.Sum()} s");
    }

    [Fact]
    public async Task A_request_that_generated_nothing_records_no_time_to_first_token_and_no_gaps()
    {
        var engine = new ScriptedEngine();
        await using var host = await WorkerTestHost.StartAsync(engine);
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        using var ttft = Collect<double>(meters, "llmq.request.time_to_first_token");
        using var interToken = Collect<double>(meters, "llmq.request.inter_token_latency");
        using var finished = Collect<long>(meters, "llmq.request.finished");

        await host.SendAsync(new GenerateRequest { RequestId = "empty", Prompt = "p" });
        (await engine.NextSubmittedAsync()).Finish(FinishReason.Stop);
        await finished.WaitForMeasurementsAsync(1, s_timeout);

        Assert.Equal(FinishReasons.Stop, Assert.Single(finished.GetMeasurementSnapshot()).Tags["finish_reason"]);
        Assert.Empty(ttft.GetMeasurementSnapshot());
        Assert.Empty(interToken.GetMeasurementSnapshot());
    }

    [Fact]
    public void Device_memory_gauges_report_what_the_probe_reads_and_skip_a_failed_read()
    {
        using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = meters.GetRequiredService<IMeterFactory>();
        var probe = new SettableProbe { Reading = new DeviceMemory(3L << 30, 80L << 30) };
        using var metrics = new ServingMetrics(factory, s_transport, probe);
        using var used = Collect<long>(factory, "llmq.device.memory_used");
        using var total = Collect<long>(factory, "llmq.device.memory_total");

        used.RecordObservableInstruments();
        total.RecordObservableInstruments();
        probe.Reading = null;
        used.RecordObservableInstruments();
        total.RecordObservableInstruments();

        Assert.Equal([3L << 30], used.GetMeasurementSnapshot().Select(m => m.Value));
        Assert.Equal([80L << 30], total.GetMeasurementSnapshot().Select(m => m.Value));
    }

    [Fact]
    public void Without_a_device_probe_no_device_gauge_exists()
    {
        using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = meters.GetRequiredService<IMeterFactory>();
        using var metrics = new ServingMetrics(factory, s_transport);
        using var used = Collect<long>(factory, "llmq.device.memory_used");

        used.RecordObservableInstruments();

        Assert.Null(used.Instrument);
        Assert.Empty(used.GetMeasurementSnapshot());
    }

    private static MetricCollector<T> Collect<T>(IMeterFactory meters, string instrument)
        where T : struct => new(meters, ServingMetrics.MeterName, instrument);

    /// <summary>Answers what the test set (null = the read failed).</summary>
    private sealed class SettableProbe : IDeviceMemoryProbe
    {
        public DeviceMemory? Reading { get; set; }

        public DeviceMemory? Read() => Reading;
    }
}
