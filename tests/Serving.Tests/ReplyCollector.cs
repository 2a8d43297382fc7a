using System.Threading.Channels;
using LlmQueue.Contracts;
using MassTransit;

namespace LlmQueue.Worker.Tests;

/// <summary>A reply queue on the test's bus; replies are read in arrival order with a timeout.</summary>
public sealed class ReplyCollector
{
    private readonly Channel<object> _replies = Channel.CreateUnbounded<object>();

    private ReplyCollector(string queueName) => QueueName = queueName;

    public string QueueName { get; }

    public Uri Address => new($"queue:{QueueName}");

    public static async Task<ReplyCollector> ConnectAsync(IBus bus)
    {
        var collector = new ReplyCollector($"replies-{Guid.NewGuid():N}");
        var handle = bus.ConnectReceiveEndpoint(collector.QueueName, endpoint =>
        {
            endpoint.Handler<TokenChunk>(context => collector.WriteAsync(context.Message));
            endpoint.Handler<GenerateCompleted>(context => collector.WriteAsync(context.Message));
            endpoint.Handler<GenerateFailed>(context => collector.WriteAsync(context.Message));
        });
        await handle.Ready.WaitAsync(TimeSpan.FromSeconds(10));
        return collector;
    }

    public async Task<T> NextAsync<T>()
    {
        var reply = await _replies.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return Assert.IsType<T>(reply);
    }


    private Task WriteAsync(object reply) => _replies.Writer.WriteAsync(reply).AsTask();
}
