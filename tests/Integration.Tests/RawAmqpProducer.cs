using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using LlmQueue.Worker.Replies;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace LlmQueue.Integration.Tests;

/// <summary>
/// A producer that knows nothing of MassTransit: publishes JSON bytes with RabbitMQ.Client and reads the
/// raw JSON replies from a queue it declared itself.
/// </summary>
public sealed class RawAmqpProducer : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly Channel<RawReply> _replies = Channel.CreateUnbounded<RawReply>();

    private RawAmqpProducer(IConnection connection, IChannel channel, string replyQueue)
    {
        _connection = connection;
        _channel = channel;
        ReplyQueue = replyQueue;
    }

    public string ReplyQueue { get; }

    public static async Task<RawAmqpProducer> ConnectAsync(RabbitMqBroker broker)
    {
        var connection = await broker.ConnectionFactory.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        var replyQueue = $"raw-replies-{Guid.NewGuid():N}";

        // Durable and not exclusive, as MassTransit declares a queue:name address before sending to it.
        await channel.QueueDeclareAsync(replyQueue, durable: true, exclusive: false, autoDelete: false);
        var producer = new RawAmqpProducer(connection, channel, replyQueue);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) => producer.OnReplyAsync(delivery);
        await channel.BasicConsumeAsync(replyQueue, autoAck: true, consumer);
        return producer;
    }

    /// <summary>Publishes <paramref name="json"/> as-is to <paramref name="queue"/> through the default exchange.</summary>
    public async Task PublishAsync(string queue, string json, string? amqpReplyTo = null)
    {
        var properties = new BasicProperties { ContentType = "application/json", ReplyTo = amqpReplyTo, Persistent = true };
        await _channel.BasicPublishAsync("", queue, mandatory: false, properties, Encoding.UTF8.GetBytes(json));
    }

    public async Task<RawReply> NextAsync(TimeSpan? timeout = null)
    {
        return await _replies.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.QueueDeleteAsync(ReplyQueue);
        await _channel.CloseAsync();
        await _connection.CloseAsync();
        _channel.Dispose();
        _connection.Dispose();
    }

    private async Task OnReplyAsync(BasicDeliverEventArgs delivery)
    {
        var type = delivery.BasicProperties.Headers?.TryGetValue(ReplySender.MessageTypeHeader, out var value) == true && value is byte[] bytes
            ? Encoding.UTF8.GetString(bytes)
            : "";
        using var document = JsonDocument.Parse(delivery.Body);
        await _replies.Writer.WriteAsync(new RawReply(type, delivery.BasicProperties.ContentType, document.RootElement.Clone()));
    }
}

/// <summary>One raw reply: the type header, the content type and the parsed JSON body.</summary>
public sealed record RawReply(string Type, string? ContentType, JsonElement Body)
{
    public string Text(string name) => Body.GetProperty(name).GetString() ?? "";

    public int Number(string name) => Body.GetProperty(name).GetInt32();
}
