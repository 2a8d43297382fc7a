using System.Threading.Channels;

namespace LlmQueue.Client;

/// <summary>The inbox of one in-flight request: raw replies in arrival order, read by one consumer.</summary>
internal sealed class PendingRequest : IDisposable
{
    private readonly Channel<object> _replies =
        Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });

    private readonly ReplyRouter _router;

    public PendingRequest(string requestId, ReplyRouter router)
    {
        RequestId = requestId;
        _router = router;
    }

    public string RequestId { get; }

    public ChannelWriter<object> Writer => _replies.Writer;

    public ValueTask<object> ReadAsync(CancellationToken cancellationToken) => _replies.Reader.ReadAsync(cancellationToken);

    public void Dispose()
    {
        _router.Unregister(this);
        _replies.Writer.TryComplete();
    }
}
