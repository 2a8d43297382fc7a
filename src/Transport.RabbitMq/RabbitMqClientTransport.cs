using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace LlmQueue.Transport.RabbitMq;

/// <summary>
/// A producer on RabbitMQ: an exclusive, auto-deleted reply queue of its own, requests published to the default
/// exchange (routing key = the request queue, confirmed and mandatory), cancels to the fan-out exchange.
/// </summary>
public sealed class RabbitMqClientTransport(RabbitMqOptions options, string requestQueue, string cancelTopic, string replyQueuePrefix) : IClientTransport
{
    private readonly RabbitMqPublisher _publisher = new(options, $"llmq-client {Environment.MachineName}");
    private IConnection? _connection;

    public ReplyAddress ReplyAddress { get; } = new($"{replyQueuePrefix}-{Guid.NewGuid():N}");

    public async Task StartAsync(Func<InboundMessage, Task> onReply, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onReply);
        _connection = await options.CreateFactory($"llmq-client {Environment.MachineName}").CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueDeclareAsync(ReplyAddress.Queue, durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        await RabbitMqTopology.DeclareCancelTopicAsync(channel, cancelTopic, cancellationToken).ConfigureAwait(false);
        var consumer = new AsyncEventingBasicConsumer(channel);
        // One dispatch at a time keeps the broker's order; the callback only hands the reply on.
        consumer.ReceivedAsync += (_, delivery) => onReply(AmqpProperties.ToInbound(delivery.BasicProperties, delivery.Body, delivery.Redelivered, CancellationToken.None));
        await channel.BasicConsumeAsync(ReplyAddress.Queue, autoAck: true, consumer, cancellationToken).ConfigureAwait(false);
    }

    public async Task SendRequestAsync(OutboundMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            await _publisher.PublishAsync("", requestQueue, request with { ReplyTo = ReplyAddress.Queue }, cancellationToken).ConfigureAwait(false);
        }
        catch (ReplyUndeliverableException ex)
        {
            throw new InvalidOperationException($"The broker has no queue '{requestQueue}': no worker has declared it yet.", ex);
        }
    }

    public async Task PublishCancelAsync(OutboundMessage cancel, CancellationToken cancellationToken)
    {
        try
        {
            await _publisher.PublishAsync(cancelTopic, "", cancel, cancellationToken).ConfigureAwait(false);
        }
        catch (ReplyUndeliverableException)
        {
            // No worker is bound to the fan-out: nothing runs that could be cancelled.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _publisher.DisposeAsync().ConfigureAwait(false);
        if (_connection is { } connection)
        {
            try
            {
                await connection.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or IOException)
            {
                // Already gone.
            }

            connection.Dispose();
        }
    }
}
