using System.Threading.Channels;
using LlmQueue.Contracts;
using LlmQueue.Transport;
using LlmQueue.Transport.InMemory;

namespace LlmQueue.Serving.Tests;

/// <summary>A reply queue on the in-process broker; replies are decoded by their type header and read in arrival order.</summary>
public sealed class ReplyCollector : IAsyncDisposable
{
    private readonly Channel<object> _replies = Channel.CreateUnbounded<object>();
    private readonly InMemoryClientTransport _transport;

    private ReplyCollector(InMemoryClientTransport transport) => _transport = transport;

    public string QueueName => _transport.ReplyAddress.Queue;

    public static async Task<ReplyCollector> ConnectAsync(InMemoryBroker broker)
    {
        var collector = new ReplyCollector(new InMemoryClientTransport(broker, "unused", "unused", "replies"));
        await collector._transport.StartAsync(collector.OnReplyAsync, CancellationToken.None);
        return collector;
    }

    public async Task<T> NextAsync<T>()
    {
        var reply = await _replies.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return Assert.IsType<T>(reply);
    }

    /// <summary>Replies that arrived and were not read yet.</summary>
    public IReadOnlyList<object> Drain()
    {
        var drained = new List<object>();
        while (_replies.Reader.TryRead(out var reply))
        {
            drained.Add(reply);
        }

        return drained;
    }

    public ValueTask DisposeAsync() => _transport.DisposeAsync();

    private Task OnReplyAsync(InboundMessage message)
    {
        object reply = message.Headers.GetValueOrDefault(MessageHeaders.MessageType) switch
        {
            nameof(TokenChunk) => ContractCodec.Decode<TokenChunk>(message.Body, message.ContentType),
            nameof(GenerateCompleted) => ContractCodec.Decode<GenerateCompleted>(message.Body, message.ContentType),
            _ => ContractCodec.Decode<GenerateFailed>(message.Body, message.ContentType),
        };
        return _replies.Writer.WriteAsync(reply).AsTask();
    }
}
