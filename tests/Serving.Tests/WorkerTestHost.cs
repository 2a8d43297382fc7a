using LlmQueue.Contracts;
using LlmQueue.Transport;
using Microsoft.Extensions.DependencyInjection;
using LlmQueue.TestKit.Serving;

namespace LlmQueue.Serving.Tests;

/// <summary>The real worker host on the in-process broker, with the scripted engine in place of the real one.</summary>
public sealed class WorkerTestHost : IAsyncDisposable
{
    private const string RequestQueue = "llmq-test-generate";
    private readonly InMemoryTestBed _bed;
    private readonly WorkerInstance _worker;
    private bool _stopped;

    private WorkerTestHost(InMemoryTestBed bed, WorkerInstance worker, ReplyCollector replies)
    {
        _bed = bed;
        _worker = worker;
        Replies = replies;
    }

    public ReplyCollector Replies { get; }

    public IServiceProvider Services => _worker.Services;

    /// <param name="engine">The scripted engine, or null for the real engine on the tiny synthetic model.</param>
    public static Task<WorkerTestHost> StartAsync(ScriptedEngine? engine, params string[] args) => StartAsync(engine, configure: null, args);

    /// <param name="configure">Registrations after the host's own (e.g. a fake TimeProvider).</param>
    public static async Task<WorkerTestHost> StartAsync(ScriptedEngine? engine, Action<IServiceCollection>? configure, params string[] args)
    {
        var bed = new InMemoryTestBed();
        var worker = await WorkerInstance.StartAsync(bed, RequestQueue, engine, configure, ["--Transport:RetryLimit=1", .. args]);
        return new WorkerTestHost(bed, worker, await ReplyCollector.ConnectAsync(bed.Broker));
    }

    /// <summary>Request deliveries not settled yet.</summary>
    public int Unsettled => _bed.Broker.TryGetQueue(RequestQueue, out var queue) ? queue.Unsettled : 0;

    /// <summary>What the worker dead-lettered from the request queue.</summary>
    public Task<IReadOnlyList<DeadLetter>> TakeDeadLettersAsync(int expected) => _bed.TakeDeadLettersAsync(RequestQueue, expected, TimeSpan.FromSeconds(30));

    /// <summary>Sends to the request queue with the body's replyTo pointing at <see cref="Replies"/> (unless <paramref name="noReplyTo"/>).</summary>
    public Task SendAsync(GenerateRequest request, bool noReplyTo = false)
    {
        _bed.Broker.TrySend(RequestQueue, ContractCodec.Encode(noReplyTo ? request : request with { ReplyTo = request.ReplyTo ?? Replies.QueueName }, WireFormat.Json));
        return Task.CompletedTask;
    }

    public Task PublishCancelAsync(string requestId)
    {
        _bed.Broker.Publish("llmq-cancel", ContractCodec.Encode(new CancelGeneration { RequestId = requestId }, WireFormat.Json));
        return Task.CompletedTask;
    }

    public async Task StopAsync()
    {
        _stopped = true;
        await _worker.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await _worker.StopAsync();
        }

        await _worker.DisposeAsync();
        await Replies.DisposeAsync();
    }
}
