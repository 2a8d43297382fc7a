using LlmQueue.Serving.Requests;
using LlmQueue.Transport;

namespace LlmQueue.Serving.Replies;

/// <summary>Picks the reply address: the body's replyTo, else a MassTransit envelope's responseAddress, else the transport's reply_to.</summary>
public static class ReplyRouting
{
    public static ReplyRoute Resolve(InboundMessage message, DecodedRequest decoded, IReplyPublisher publisher)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(decoded);
        ArgumentNullException.ThrowIfNull(publisher);
        var transportAddress = Valid(message.ReplyTo, message.ReplyToSessionId, publisher);
        if (!string.IsNullOrEmpty(decoded.BodyReplyTo))
        {
            var problem = publisher.ValidateQueueName(decoded.BodyReplyTo);
            return problem is null
                ? new ReplyRoute(new ReplyAddress(decoded.BodyReplyTo, message.ReplyToSessionId), null)
                : new ReplyRoute(transportAddress, $"replyTo is not a usable queue name: {problem}.");
        }

        if (QueueOf(decoded.ResponseAddress) is { } envelopeQueue)
        {
            return new ReplyRoute(Valid(envelopeQueue, message.ReplyToSessionId, publisher) ?? transportAddress, null);
        }

        return new ReplyRoute(transportAddress, null);
    }

    /// <summary>
    /// The queue name in a MassTransit address: "queue:name", or the last path segment of an absolute address such as
    /// rabbitmq://host/vhost/name?temporary=true.
    /// </summary>
    public static string? QueueOf(string? address)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            return null;
        }

        if (address.StartsWith("queue:", StringComparison.OrdinalIgnoreCase))
        {
            return address["queue:".Length..].Split('?')[0];
        }

        return Uri.TryCreate(address, UriKind.Absolute, out var uri)
            ? uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() is { } last ? Uri.UnescapeDataString(last) : null
            : null;
    }

    private static ReplyAddress? Valid(string? queue, string? sessionId, IReplyPublisher publisher) =>
        !string.IsNullOrEmpty(queue) && publisher.ValidateQueueName(queue) is null ? new ReplyAddress(queue, sessionId) : null;
}
