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
        if (settings.CallbackQueue is { } callbacks)
        {
            await DeclareCallbackQueuesAsync(channel, callbacks, settings.CallbackErrorQueue!, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Delays RabbitMQ can do without plugins: a wait queue per delay tier, whose messages expire (per-message TTL,
    /// at most the tier's) into the target queue through dead-lettering. Within a tier messages are published in time
    /// order with similar delays, so a message waits behind the queue's head by no more than the spread of one tier.
    /// </summary>
    public static readonly TimeSpan[] DelayTiers =
    [
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1), TimeSpan.FromHours(6),
    ];

    /// <summary>The wait queue a message delayed by <paramref name="delay"/> goes to (the smallest tier that holds it).</summary>
    public static string WaitQueue(string target, TimeSpan delay)
    {
        var tier = DelayTiers.FirstOrDefault(t => t >= delay, DelayTiers[^1]);
        return $"{target}.wait-{(long)tier.TotalSeconds}s";
    }

    private static async Task DeclareCallbackQueuesAsync(IChannel channel, string callbacks, string errorQueue, CancellationToken cancellationToken)
    {
        await channel.QueueDeclareAsync(callbacks, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueDeclareAsync(errorQueue, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var tier in DelayTiers)
        {
            var arguments = new Dictionary<string, object?>
            {
                ["x-message-ttl"] = (long)tier.TotalMilliseconds,
                ["x-dead-letter-exchange"] = "",
                ["x-dead-letter-routing-key"] = callbacks,
            };
            await channel.QueueDeclareAsync(WaitQueue(callbacks, tier), durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <summary>Both sides declare it (same arguments), so neither depends on the other having started.</summary>
    public static Task DeclareCancelTopicAsync(IChannel channel, string cancelTopic, CancellationToken cancellationToken) =>
        channel.ExchangeDeclareAsync(cancelTopic, ExchangeType.Fanout, durable: true, cancellationToken: cancellationToken);
}
