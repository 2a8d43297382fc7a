namespace LlmQueue.Serving.Replies;

/// <summary>Where one request attempt's replies go: a reply queue, an HTTP callback, or both.</summary>
public interface IReplyChannel
{
    /// <exception cref="LlmQueue.Transport.ReplyUndeliverableException">The target can never take replies: final for the request.</exception>
    /// <remarks>Any other exception is transient.</remarks>
    Task SendAsync<T>(T reply, CancellationToken cancellationToken)
        where T : class;
}
