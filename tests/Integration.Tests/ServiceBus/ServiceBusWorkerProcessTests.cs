using System.Net;
using LlmQueue.Contracts;
using LlmQueue.TestKit.ServiceBus;
using LlmQueue.TestKit.Serving;

namespace LlmQueue.Integration.Tests.ServiceBus;

/// <summary>The worker executable on Service Bus (the test broker over loopback), stopped as an orchestrator stops it.</summary>
public sealed class ServiceBusWorkerProcessTests(SharedRedis redis) : IClassFixture<SharedRedis>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task On_SIGTERM_readiness_turns_false_while_draining_and_the_unfinished_request_is_abandoned_once()
    {
        await using var bed = new ServiceBusTestBed(redis.ConnectionString);
        var queue = $"llmq-sb-ops-{Guid.NewGuid():N}";
        // The bed's provisioner runs only in workers it hosts; this one is a process of its own.
        bed.EnsureRequestQueue(queue);
        await using var producer = await bed.ConnectProducerAsync();
        using var probe = new OperationsProbe(LoopbackPort.Free());
        // One thread on the 40M-parameter model: 12,000 tokens take far longer than the drain timeout on any CPU.
        await using var worker = WorkerProcess.Start([.. WorkerProcessArguments.For(bed, queue), $"--Operations:Port={probe.Port}",
            "--Operations:BindAddress=127.0.0.1", "--Engine:SyntheticModel=gemma3-small", "--Engine:KvCacheMiB=256", "--Engine:Threads=1",
            "--Transport:DrainTimeoutSeconds=8", "--Operations:TerminationGracePeriodSeconds=45"]);
        await probe.WaitForAsync("/readyz", HttpStatusCode.OK, s_timeout, () => worker.HasExited);
        await producer.PublishAsync(queue,
            $$$"""{"requestId":"held","prompt":"Hold this","stream":true,"replyTo":"{{{producer.ReplyQueue}}}","sampling":{"maxTokens":12000,"ignoreEos":true,"seed":1}}""");
        Assert.Equal(nameof(TokenChunk), (await producer.NextAsync(s_timeout)).Type);

        worker.Terminate();
        var notReady = await probe.WaitForAsync("/readyz", HttpStatusCode.ServiceUnavailable, s_timeout, () => worker.HasExited);
        var stillDraining = !worker.Output.Contains("Drain timeout", StringComparison.Ordinal);

        Assert.Contains("draining", notReady, StringComparison.Ordinal);
        Assert.True(stillDraining, "readiness went false only after the drain had ended");
        Assert.Equal(0, await worker.WaitForExitAsync(s_timeout));
        // Returned unanswered, once: the next replica starts it as attempt 2.
        var settlements = bed.Broker.GetEvents(queue).Where(e => e.IsSettlement).Select(e => (e.Kind, e.DeliveryCount));
        Assert.Equal([(ServiceBusTestEventKind.Abandoned, 1)], settlements);
        Assert.Equal(1, bed.Broker.GetCounts(queue).Active);
    }
}
