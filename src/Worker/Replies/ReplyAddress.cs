using MassTransit;

namespace LlmQueue.Worker.Replies;

/// <summary>Where replies for a request go, and in which format.</summary>
public static class ReplyAddress
{
    /// <summary>Body ReplyTo queue, else the envelope ResponseAddress, else the AMQP reply_to property.</summary>
    public static Uri? Resolve(ConsumeContext context, string? bodyReplyTo)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (QueueAddress(bodyReplyTo) is { } replyTo)
        {
            return replyTo;
        }

        if (context.ResponseAddress is not null)
        {
            return context.ResponseAddress;
        }

        return AmqpReplyTo(context.ReceiveContext);
    }

    /// <summary>The AMQP reply_to property of a RabbitMQ delivery; null on other transports.</summary>
    public static Uri? AmqpReplyTo(ReceiveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return QueueAddress(context.TryGetPayload(out RabbitMqBasicConsumeContext? rabbit) ? rabbit.Properties.ReplyTo : null);
    }

    /// <summary>"queue:name", or null when the name is empty or cannot form an address (then the next source is tried).</summary>
    public static Uri? QueueAddress(string? queueName)
    {
        return !string.IsNullOrWhiteSpace(queueName) && Uri.TryCreate($"queue:{queueName}", UriKind.Absolute, out var address) ? address : null;
    }

    /// <summary>
    /// A producer that did not use the MassTransit envelope gets plain camelCase JSON back, so it needs no
    /// MassTransit to read the replies.
    /// </summary>
    public static bool WantsRawJson(ReceiveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return !string.Equals(context.ContentType?.MediaType, "application/vnd.masstransit+json", StringComparison.OrdinalIgnoreCase);
    }
}
