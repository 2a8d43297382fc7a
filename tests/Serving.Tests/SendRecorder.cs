using System.Collections.Concurrent;
using MassTransit;

namespace LlmQueue.Worker.Tests;

/// <summary>Records every message the bus sent, also while the bus is stopping and no consumer reads replies.</summary>
public sealed class SendRecorder : ISendObserver
{
    public ConcurrentQueue<object> Sent { get; } = new();

    public Task PreSend<T>(SendContext<T> context)
        where T : class => Task.CompletedTask;

    public Task PostSend<T>(SendContext<T> context)
        where T : class
    {
        Sent.Enqueue(context.Message);
        return Task.CompletedTask;
    }

    public Task SendFault<T>(SendContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;
}
