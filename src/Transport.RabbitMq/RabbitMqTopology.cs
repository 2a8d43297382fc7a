using RabbitMQ.Client;

namespace LlmQueue.Transport.RabbitMq;

/// <summary>What the worker declares: its request queue (quorum, with a delivery limit into the error queue), the error queue, the cancel fan-out.</summary>
internal static class RabbitMqTopology
{
    public static async Task DeclareWorkerAsync(IChannel channel, WorkerTransportSettings settings, CancellationToken cancellationToken)
    {
        await channel.QueueDeclareAsync(settings.ErrorQueue, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellationToken)
            .ConfigureAwait(false);

        // Quorum: the broker counts deliveries (x-delivery-count, the attempt) and dead-letters a message that keeps
        // coming back (one that crashes every worker) after x-delivery-limit returns.
        var arguments = new Dictionary<string, object?>
        {
            ["x-queue-type"] = "quorum",
            ["x-delivery-limit"] = settings.MaxDeliveries,
            ["x-dead-letter-exchange"] = "",
            ["x-dead-letter-routing-key"] = settings.ErrorQueue,
        };
        await channel.QueueDeclareAsync(settings.RequestQueue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken)
            .ConfigureAwait(false);

        // Producers may publish to the default exchange (routing key = queue) or to an exchange named like the queue.
        await channel.ExchangeDeclareAsync(settings.RequestQueue, ExchangeType.Fanout, durable: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueBindAsync(settings.RequestQueue, settings.RequestQueue, "", cancellationToken: cancellationToken).ConfigureAwait(false);
        await DeclareCancelTopicAsync(channel, settings.CancelTopic, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Both sides declare it (same arguments), so neither depends on the other having started.</summary>
    public static Task DeclareCancelTopicAsync(IChannel channel, string cancelTopic, CancellationToken cancellationToken) =>
        channel.ExchangeDeclareAsync(cancelTopic, ExchangeType.Fanout, durable: true, cancellationToken: cancellationToken);
}
