namespace LlmQueue.Serving.Replies;

/// <summary>Replies to several targets (a queue and a callback), each in turn.</summary>
public sealed class FanOutReplyChannel(IReadOnlyList<IReplyChannel> channels) : IReplyChannel
{
    public async Task SendAsync<T>(T reply, CancellationToken cancellationToken)
        where T : class
    {
        foreach (var channel in channels)
        {
            await channel.SendAsync(reply, cancellationToken).ConfigureAwait(false);
        }
    }
}
