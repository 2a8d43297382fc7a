using System.Text;
using Azure.Core.Amqp;
using Azure.Messaging.ServiceBus;

namespace LlmQueue.Transport.ServiceBus;

/// <summary>Between Service Bus messages and the transport's message shapes.</summary>
internal static class ServiceBusMessages
{
    /// <summary>Service Bus's limit on MessageId (and SessionId) length.</summary>
    public const int MaxIdLength = 128;

    /// <param name="sessionId">The reply session (SessionId), or null.</param>
    public static ServiceBusMessage ToServiceBus(OutboundMessage message, string? sessionId = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var result = new ServiceBusMessage(BinaryData.FromBytes(message.Body))
        {
            ContentType = message.ContentType,
            CorrelationId = message.CorrelationId,
            // Subject is what Service Bus Explorer and most tools show: the contract name.
            Subject = message.MessageType,
            SessionId = sessionId,
            ReplyTo = message.ReplyTo,
            ReplyToSessionId = message.ReplyToSessionId,
        };
        // The SDK refuses an empty or over-long MessageId; without one it assigns its own.
        if (message.MessageId is { Length: > 0 and <= MaxIdLength } messageId)
        {
            result.MessageId = messageId;
        }

        foreach (var (name, value) in message.Headers)
        {
            result.ApplicationProperties[name] = value;
        }

        result.ApplicationProperties[MessageHeaders.MessageType] = message.MessageType;
        return result;
    }

    /// <param name="lost">Fires when the delivery's lock is lost.</param>
    public static InboundMessage ToInbound(ServiceBusReceivedMessage message, CancellationToken lost)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new InboundMessage
        {
            Body = Body(message),
            ContentType = message.ContentType,
            ReplyTo = message.ReplyTo,
            ReplyToSessionId = message.ReplyToSessionId,
            MessageId = message.MessageId,
            // Service Bus counts the current delivery: 1 the first time, as the contract's attempt.
            DeliveryCount = Math.Max(1, message.DeliveryCount),
            Headers = StringProperties(message.ApplicationProperties),
            Lost = lost,
        };
    }

    /// <summary>
    /// The body bytes whatever AMQP body section a producer used: data sections (every SDK's default), or a single
    /// string or binary value (some AMQP 1.0 clients send JSON that way). Anything else is an empty body, which the
    /// serving core answers as malformed; ServiceBusReceivedMessage.Body would throw for it instead.
    /// </summary>
    private static ReadOnlyMemory<byte> Body(ServiceBusReceivedMessage message)
    {
        var body = message.GetRawAmqpMessage().Body;
        if (body.TryGetData(out var data) && data is not null)
        {
            return Concatenate(data);
        }

        if (body.TryGetValue(out var value))
        {
            return value switch
            {
                string text => Encoding.UTF8.GetBytes(text),
                byte[] bytes => bytes,
                ReadOnlyMemory<byte> memory => memory,
                _ => ReadOnlyMemory<byte>.Empty,
            };
        }

        return ReadOnlyMemory<byte>.Empty;
    }

    private static ReadOnlyMemory<byte> Concatenate(IEnumerable<ReadOnlyMemory<byte>> sections)
    {
        var list = sections as IList<ReadOnlyMemory<byte>> ?? [.. sections];
        if (list.Count == 1)
        {
            return list[0];
        }

        var result = new byte[list.Sum(s => s.Length)];
        var offset = 0;
        foreach (var section in list)
        {
            section.CopyTo(result.AsMemory(offset));
            offset += section.Length;
        }

        return result;
    }

    private static Dictionary<string, string> StringProperties(IReadOnlyDictionary<string, object> properties)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in properties)
        {
            // Other property types are not the contract's business.
            if (value is string text)
            {
                result[name] = text;
            }
        }

        return result;
    }
}
