using System.Text;
using Amqp;
using Amqp.Framing;
using Amqp.Types;
using LlmQueue.TestKit.ServiceBus.Core;

namespace LlmQueue.TestKit.ServiceBus.Amqp;

/// <summary>Translates between AMQP messages on the wire and the broker's stored messages.</summary>
internal static class MessageCodec
{
    /// <summary>The messages a transfer carries: one, or each data section of an SDK batch.</summary>
    public static IReadOnlyList<IncomingMessage> ReadIncoming(Message message)
    {
        if (message.Format != ServiceBusNames.BatchMessageFormat)
        {
            return [ToIncoming(message)];
        }

        var sections = message.BodySection switch
        {
            DataList list => Enumerable.Range(0, list.Count).Select(i => list[i]).ToList(),
            Data single => [single],
            _ => throw new AmqpException(ErrorCode.DecodeError, "A batch message must carry its messages as data sections."),
        };
        return [.. sections.Select(section => ToIncoming(Decode(section.Binary)))];
    }

    /// <summary>The sections of a message as bytes the broker owns (the transfer buffer is reused after settlement).</summary>
    public static byte[] Encode(Message message)
    {
        var buffer = message.Encode();
        var bytes = new byte[buffer.Length];
        Buffer.BlockCopy(buffer.Buffer, buffer.Offset, bytes, 0, buffer.Length);
        return bytes;
    }

    public static Message Decode(byte[] encoded) => Message.Decode(new ByteBuffer(encoded, 0, encoded.Length, encoded.Length));

    /// <summary>A fresh AMQP message for one delivery: the sender's sections plus the broker's header and annotations.</summary>
    public static LockedDelivery BuildDelivery(StoredMessage stored, bool locked)
    {
        var original = Decode(stored.Content.Encoded);
        var delivery = new LockedDelivery(stored.LockToken)
        {
            Header = new Header { DeliveryCount = (uint)stored.DeliveryCount },
            Properties = original.Properties,
            ApplicationProperties = ApplicationPropertiesOf(original, stored),
            MessageAnnotations = original.MessageAnnotations ?? new MessageAnnotations(),
            BodySection = original.BodySection,
        };
        CopyHeaderFields(original.Header, delivery.Header);
        if (stored.TimeToLive is { } ttl && ttl.TotalMilliseconds < uint.MaxValue)
        {
            delivery.Header.Ttl = (uint)ttl.TotalMilliseconds;
        }

        var annotations = delivery.MessageAnnotations;
        annotations[ServiceBusNames.SequenceNumber] = stored.SequenceNumber;
        annotations[ServiceBusNames.EnqueuedTime] = stored.EnqueuedTime;
        if (locked)
        {
            annotations[ServiceBusNames.LockedUntil] = stored.LockedUntil;
        }

        return delivery;
    }

    /// <summary>A read-only copy for tests.</summary>
    public static ServiceBusTestMessage ToSnapshot(StoredMessage stored)
    {
        var original = Decode(stored.Content.Encoded);
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (ApplicationPropertiesOf(original, stored) is { } application)
        {
            foreach (var key in application.Map.Keys)
            {
                properties[key.ToString() ?? string.Empty] = application.Map[key];
            }
        }

        return new ServiceBusTestMessage(
            stored.SequenceNumber,
            stored.MessageId,
            stored.SessionId,
            stored.Content.Subject,
            stored.DeliveryCount + 1,
            properties.GetValueOrDefault(ServiceBusTestBroker.DeadLetterReasonProperty) as string,
            properties.GetValueOrDefault(ServiceBusTestBroker.DeadLetterErrorDescriptionProperty) as string,
            properties,
            BodyBytes(original.BodySection));
    }

    private static IncomingMessage ToIncoming(Message message)
    {
        var header = message.Header;
        TimeSpan? ttl = header is not null && header.HasField(2) ? TimeSpan.FromMilliseconds(header.Ttl) : null;
        DateTime? scheduled = message.MessageAnnotations?[ServiceBusNames.ScheduledEnqueueTime] is DateTime due
            ? DateTime.SpecifyKind(due, DateTimeKind.Utc)
            : null;
        return new IncomingMessage(
            Encode(message),
            message.Properties?.MessageId?.ToString(),
            message.Properties?.GroupId,
            message.Properties?.Subject,
            ttl,
            scheduled);
    }

    private static ApplicationProperties? ApplicationPropertiesOf(Message original, StoredMessage stored)
    {
        if (stored.PropertyOverrides.Count == 0)
        {
            return original.ApplicationProperties;
        }

        var merged = original.ApplicationProperties ?? new ApplicationProperties();
        foreach (var (key, value) in stored.PropertyOverrides)
        {
            merged.Map[key] = value;
        }

        return merged;
    }

    private static void CopyHeaderFields(Header? from, Header to)
    {
        if (from is null)
        {
            return;
        }

        if (from.HasField(0))
        {
            to.Durable = from.Durable;
        }

        if (from.HasField(1))
        {
            to.Priority = from.Priority;
        }
    }

    private static ReadOnlyMemory<byte> BodyBytes(RestrictedDescribed? body) => body switch
    {
        DataList list => Enumerable.Range(0, list.Count).SelectMany(i => list[i].Binary).ToArray(),
        Data data => data.Binary,
        AmqpValue { Value: string text } => Encoding.UTF8.GetBytes(text),
        AmqpValue { Value: byte[] bytes } => bytes,
        _ => ReadOnlyMemory<byte>.Empty,
    };
}
