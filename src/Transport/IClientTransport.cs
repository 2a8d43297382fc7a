namespace LlmQueue.Transport;

/// <summary>A producer's side of one broker: sends requests and cancels, and receives the replies of its own address.</summary>
public interface IClientTransport : IAsyncDisposable
{
    /// <summary>Where replies for this client go (valid after <see cref="StartAsync"/>).</summary>
    ReplyAddress ReplyAddress { get; }

    /// <summary>Creates the reply address (private to this client) and starts delivering replies to <paramref name="onReply"/>.</summary>
    Task StartAsync(Func<InboundMessage, Task> onReply, CancellationToken cancellationToken);

    Task SendRequestAsync(OutboundMessage request, CancellationToken cancellationToken);

    Task PublishCancelAsync(OutboundMessage cancel, CancellationToken cancellationToken);
}
