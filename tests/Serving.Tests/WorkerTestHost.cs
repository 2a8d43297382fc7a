using LlmQueue.Contracts;
using LlmQueue.Engine;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LlmQueue.Worker.Tests;

/// <summary>The real worker host on the in-memory transport, with the scripted engine in place of the real one.</summary>
public sealed class WorkerTestHost : IAsyncDisposable
{
    private const string RequestQueue = "llmq-test-generate";
    private readonly IHost _host;
    private bool _stopped;

    private WorkerTestHost(IHost host, ReplyCollector replies, SendRecorder sends)
    {
        _host = host;
        Replies = replies;
        Sends = sends;
    }

    public SendRecorder Sends { get; }

    public ReplyCollector Replies { get; }

    public static Uri RequestAddress => new($"queue:{RequestQueue}");

    public IBus Bus => _host.Services.GetRequiredService<IBus>();

    public static async Task<WorkerTestHost> StartAsync(ScriptedEngine engine, params string[] args)
    {
        var builder = WorkerHost.CreateBuilder(["--Logging:LogLevel:Default=Warning", "--Transport:RetryLimit=1", $"--Transport:RequestQueue={RequestQueue}", .. args]);
        builder.Services.AddSingleton<IGenerationEngine>(engine);
        var host = builder.Build();
        await host.StartAsync();
        var bus = host.Services.GetRequiredService<IBus>();
        var sends = new SendRecorder();
        bus.ConnectSendObserver(sends);
        var replies = await ReplyCollector.ConnectAsync(bus);
        return new WorkerTestHost(host, replies, sends);
    }

    /// <summary>Sends to the request queue with the body's ReplyTo pointing at <see cref="Replies"/>.</summary>
    public async Task SendAsync(GenerateRequest request)
    {
        var endpoint = await Bus.GetSendEndpoint(RequestAddress);
        await endpoint.Send(request with { ReplyTo = request.ReplyTo ?? Replies.QueueName });
    }

    public async Task StopAsync()
    {
        _stopped = true;
        await _host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await _host.StopAsync();
        }

        _host.Dispose();
    }
}
