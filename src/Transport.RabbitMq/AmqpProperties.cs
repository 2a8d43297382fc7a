using System.Text;
using RabbitMQ.Client;

namespace LlmQueue.Transport.RabbitMq;

/// <summary>Between AMQP basic properties and the transport's message shapes.</summary>
internal static class AmqpProperties
{
    /// <param name="expiration">Per-message TTL (the delay of a scheduled message), or null.</param>
    public static BasicProperties ToBasicProperties(OutboundMessage message, TimeSpan? expiration = null)
    {
        var headers = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in message.Headers)
        {
            headers[name] = value;
        }

        headers[MessageHeaders.MessageType] = message.MessageType;
        return new BasicProperties
        {
            ContentType = message.ContentType,
            Type = message.MessageType,
            CorrelationId = message.CorrelationId,
            MessageId = message.MessageId,
            ReplyTo = message.ReplyTo,
            DeliveryMode = message.Durable ? DeliveryModes.Persistent : DeliveryModes.Transient,
            Headers = headers,
            Expiration = expiration is { } ttl ? ((long)Math.Max(0, ttl.TotalMilliseconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
        };
    }

    /// <param name="lost">Fires when the delivery's channel closes.</param>
    public static InboundMessage ToInbound(IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, bool redelivered, CancellationToken lost)
    {
        var headers = StringHeaders(properties.Headers);
        return new InboundMessage
        {
            // The client reuses the delivery's buffer after the handler returns.
            Body = body.ToArray(),
            ContentType = properties.ContentType,
            ReplyTo = properties.ReplyTo,
            MessageId = properties.MessageId,
            DeliveryCount = DeliveryCount(properties.Headers, redelivered),
            Headers = headers,
            Lost = lost,
        };
    }

    /// <summary>Quorum queues count returns in x-delivery-count; otherwise the redelivered flag gives a lower bound.</summary>
    private static int DeliveryCount(IDictionary<string, object?>? headers, bool redelivered)
    {
        if (headers is not null && headers.TryGetValue("x-delivery-count", out var value) && value is not null)
        {
            var returns = value switch
            {
                long l => l,
                int i => i,
                _ => 0,
            };
            return (int)Math.Clamp(returns + 1, 1, int.MaxValue);
        }

        return redelivered ? 2 : 1;
    }

    private static Dictionary<string, string> StringHeaders(IDictionary<string, object?>? headers)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (headers is null)
        {
            return result;
        }

        foreach (var (name, value) in headers)
        {
            // AMQP long strings arrive as bytes; other header types are not the contract's business.
            if (value is byte[] bytes && System.Text.Unicode.Utf8.IsValid(bytes))
            {
                result[name] = Encoding.UTF8.GetString(bytes);
            }
            else if (value is string text)
            {
                result[name] = text;
            }
        }

        return result;
    }
}
