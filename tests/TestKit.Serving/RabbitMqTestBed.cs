using Xunit;
using System.Globalization;
using System.Text;
using LlmQueue.Transport;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace LlmQueue.TestKit.Serving;

/// <summary>A real rabbitmq-server; raw producers use RabbitMQ.Client and, by default, the pika/amqplib RPC pattern for replies.</summary>
public sealed class RabbitMqTestBed(RabbitMqServer server) : ITransportTestBed
{
    public string Name => "RabbitMQ";

    public bool FollowsEngineCapacity => false;

    public RabbitMqServer Server => server;

    public IEnumerable<string> WorkerArguments =>
    [
        "--Transport:Kind=RabbitMq",
        "--Transport:RabbitMq:Host=127.0.0.1",
        $"--Transport:RabbitMq:Port={server.Port.ToString(CultureInfo.InvariantCulture)}",
    ];

    public void ConfigureWorker(IServiceCollection services)
    {
    }

    public async Task<RawProducer> ConnectProducerAsync() => await ConnectProducerAsync(ReplyQueueKind.ServerNamedExclusive);

    /// <summary>A producer whose reply queue is declared the way <paramref name="kind"/> says.</summary>
    public async Task<RabbitMqRawProducer> ConnectProducerAsync(ReplyQueueKind kind)
    {
        var connection = await server.ConnectionFactory.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        var queue = kind switch
        {
            ReplyQueueKind.ServerNamedExclusive => (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName,
            ReplyQueueKind.NonDurable => (await channel.QueueDeclareAsync($"raw-replies-{Guid.NewGuid():N}", durable: false, exclusive: false, autoDelete: false)).QueueName,
            _ => (await channel.QueueDeclareAsync($"raw-replies-{Guid.NewGuid():N}", durable: true, exclusive: false, autoDelete: false)).QueueName,
        };
        return await RabbitMqRawProducer.StartAsync(connection, channel, queue);
    }

    public async Task<IReadOnlyList<DeadLetter>> TakeDeadLettersAsync(string requestQueue, int expected, TimeSpan timeout)
    {
        await using var connection = await server.ConnectionFactory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var taken = new List<DeadLetter>();
        using var deadline = new CancellationTokenSource(timeout);
        while (taken.Count < expected)
        {
            var message = await channel.BasicGetAsync(requestQueue + "_error", autoAck: true);
            if (message is null)
            {
                // Polling the broker; the deadline bounds it, it is not a timing assertion.
                Assert.False(deadline.IsCancellationRequested, $"{taken.Count} of {expected} dead letters arrived within {timeout}; reasons so far: {string.Join(", ", taken.GroupBy(t => t.Reason).Select(g => $"{g.Key} x{g.Count()}"))}");
                await Task.Delay(20, CancellationToken.None);
                continue;
            }

            taken.Add(new DeadLetter(message.Body.ToArray(), Header(message.BasicProperties, MessageHeaders.DeadLetterReason) ?? DeathReason(message.BasicProperties),
                Header(message.BasicProperties, MessageHeaders.DeadLetterDescription), message.BasicProperties.MessageId));
        }

        return taken;
    }

    public Task<int> UnsettledAsync(string requestQueue) => server.UnacknowledgedAsync(requestQueue);

    internal static string? Header(IReadOnlyBasicProperties properties, string name) =>
        properties.Headers?.TryGetValue(name, out var value) == true && value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : null;

    /// <summary>The broker's own dead-lettering (x-delivery-limit) records why in x-death.</summary>
    private static string? DeathReason(IReadOnlyBasicProperties properties) =>
        properties.Headers?.TryGetValue("x-death", out var value) == true && value is IList<object> deaths && deaths.Count > 0
            && deaths[0] is IDictionary<string, object> death && death.TryGetValue("reason", out var reason) && reason is byte[] bytes
            ? Encoding.UTF8.GetString(bytes)
            : null;
}

public enum ReplyQueueKind
{
    /// <summary>queue_declare("", exclusive) — the usual pika/amqplib RPC reply queue (amq.gen-…).</summary>
    ServerNamedExclusive,

    /// <summary>A named queue declared non-durable.</summary>
    NonDurable,

    /// <summary>A named durable queue.</summary>
    Durable,
}

/// <summary>A RabbitMQ.Client producer with its own reply queue.</summary>
public sealed class RabbitMqRawProducer : RawProducer
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly string _replyQueue;

    private RabbitMqRawProducer(IConnection connection, IChannel channel, string replyQueue)
    {
        _connection = connection;
        _channel = channel;
        _replyQueue = replyQueue;
    }

    public override string ReplyQueue => _replyQueue;

    public IChannel Channel => _channel;

    internal static async Task<RabbitMqRawProducer> StartAsync(IConnection connection, IChannel channel, string replyQueue)
    {
        var producer = new RabbitMqRawProducer(connection, channel, replyQueue);
        await producer.ResubscribeAsync();
        return producer;
    }

    /// <summary>Consumes the reply queue (again, after the test deleted and re-declared it).</summary>
    public async Task ResubscribeAsync()
    {
        var consumer = new AsyncEventingBasicConsumer(_channel);
        consumer.ReceivedAsync += (_, delivery) => OnReplyAsync(delivery.Body.ToArray(),
            RabbitMqTestBed.Header(delivery.BasicProperties, MessageHeaders.MessageType), delivery.BasicProperties.ContentType);
        await _channel.BasicConsumeAsync(_replyQueue, autoAck: true, consumer);
    }

    public override async Task PublishAsync(
        string queue, ReadOnlyMemory<byte> body, string? contentType = ContractCodec.JsonContentType, string? transportReplyTo = null, string? messageId = null)
    {
        var properties = new BasicProperties { ContentType = contentType, ReplyTo = transportReplyTo, MessageId = messageId, Persistent = true };
        await _channel.BasicPublishAsync("", queue, mandatory: false, properties, body);
    }

    public override async Task PublishCancelAsync(string cancelTopic, string requestId)
    {
        var body = Encoding.UTF8.GetBytes($$"""{"requestId":"{{requestId}}"}""");
        await _channel.BasicPublishAsync(cancelTopic, "", mandatory: false, new BasicProperties { ContentType = ContractCodec.JsonContentType }, body);
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await _channel.CloseAsync();
            await _connection.CloseAsync();
        }
        catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.AlreadyClosedException or RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            // A test closed it already.
        }

        _channel.Dispose();
        _connection.Dispose();
    }
}
