using LlmQueue.Transport;

namespace LlmQueue.Serving.Replies;

/// <summary>Replies to a queue, framed like the request was, each one confirmed by the broker before the next.</summary>
public sealed class QueueReplyChannel(IReplyPublisher publisher, ReplyAddress address, WireFormat format, string requestId, TimeSpan timeout)
    : IReplyChannel
{
    public ReplyAddress Address => address;

    public async Task SendAsync<T>(T reply, CancellationToken cancellationToken)
        where T : class
    {
        var message = ContractCodec.Encode(reply, format, requestId);
        // A broker that stops confirming (flow control, a half-open connection) must not hold the request forever.
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            await publisher.PublishAsync(address, message, bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The broker did not confirm a reply to {address} within {timeout.TotalSeconds:F0} s.");
        }
    }
}
