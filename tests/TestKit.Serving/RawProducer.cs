using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using LlmQueue.Transport;

namespace LlmQueue.TestKit.Serving;

/// <summary>
/// A producer that knows nothing of the client library: publishes bytes with the broker's own client and reads the
/// replies of a queue it owns, in arrival order.
/// </summary>
public abstract class RawProducer : IAsyncDisposable
{
    private readonly Channel<RawReply> _replies = Channel.CreateUnbounded<RawReply>();

    /// <summary>The producer's reply queue, to name in a request's replyTo.</summary>
    public abstract string ReplyQueue { get; }

    /// <summary>Publishes <paramref name="body"/> as-is to <paramref name="queue"/>.</summary>
    public abstract Task PublishAsync(
        string queue, ReadOnlyMemory<byte> body, string? contentType = ContractCodec.JsonContentType, string? transportReplyTo = null, string? messageId = null);

    public abstract Task PublishCancelAsync(string cancelTopic, string requestId);

    public Task PublishAsync(string queue, string json, string? transportReplyTo = null) =>
        PublishAsync(queue, Encoding.UTF8.GetBytes(json), ContractCodec.JsonContentType, transportReplyTo);

    public async Task<RawReply> NextAsync(TimeSpan? timeout = null) =>
        await _replies.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? TimeSpan.FromSeconds(30));

    public abstract ValueTask DisposeAsync();

    protected Task OnReplyAsync(ReadOnlyMemory<byte> body, string? type, string? contentType)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        // Enveloped replies: the contract is the envelope's message.
        var reply = ContractCodec.IsEnvelope(contentType) ? root.GetProperty("message") : root;
        return _replies.Writer.WriteAsync(new RawReply(type ?? "", contentType, reply.Clone())).AsTask();
    }
}
