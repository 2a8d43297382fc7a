using MassTransit;

namespace LlmQueue.Worker.Replies;

/// <summary>Where replies for a request go, and in which format.</summary>
public static class ReplyAddress
{
    /// <summary>Body ReplyTo queue, else the envelope ResponseAddress, else the AMQP reply_to property.</summary>
    public static Uri? Resolve(ConsumeContext context, string? bodyReplyTo)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!string.IsNullOrWhiteSpace(bodyReplyTo))
        {
            return new Uri($"queue:{bodyReplyTo}");
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
        var replyTo = context.TryGetPayload(out RabbitMqBasicConsumeContext? rabbit) ? rabbit.Properties.ReplyTo : null;
        return string.IsNullOrWhiteSpace(replyTo) ? null : new Uri($"queue:{replyTo}");
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
