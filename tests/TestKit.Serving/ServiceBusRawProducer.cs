using System.Text;
using Azure.Messaging.ServiceBus;
using LlmQueue.Transport;

namespace LlmQueue.TestKit.Serving;

/// <summary>
/// A producer on the plain Azure.Messaging.ServiceBus SDK, as any Service Bus client would write it: requests carry
/// ReplyTo and ReplyToSessionId, and a session receiver reads the replies of its own session in order.
/// </summary>
public sealed class ServiceBusRawProducer : RawProducer
{
    private readonly ServiceBusClient _client;
    private readonly ServiceBusSessionReceiver _receiver;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, ServiceBusSender> _senders = new(StringComparer.Ordinal);
    private Task _receiving = Task.CompletedTask;

    private ServiceBusRawProducer(ServiceBusClient client, ServiceBusSessionReceiver receiver)
    {
        _client = client;
        _receiver = receiver;
    }

    public override string ReplyQueue => _receiver.EntityPath;

    /// <summary>The session replies to this producer go to.</summary>
    public string SessionId => _receiver.SessionId;

    public static async Task<ServiceBusRawProducer> StartAsync(string connectionString, string replyQueue)
    {
        var client = new ServiceBusClient(connectionString);
        var receiver = await client.AcceptSessionAsync(replyQueue, $"raw-{Guid.NewGuid():N}");
        var producer = new ServiceBusRawProducer(client, receiver);
        producer._receiving = Task.Run(producer.ReceiveAsync);
        return producer;
    }

    public override Task PublishAsync(
        string queue, ReadOnlyMemory<byte> body, string? contentType = ContractCodec.JsonContentType, string? transportReplyTo = null, string? messageId = null)
    {
        var message = new ServiceBusMessage(body)
        {
            ContentType = contentType,
            ReplyTo = transportReplyTo,
            // Always: a replyTo in the body names the queue, the session comes from the message.
            ReplyToSessionId = SessionId,
        };
        if (messageId is not null)
        {
            message.MessageId = messageId;
        }

        return Sender(queue).SendMessageAsync(message);
    }

    public override Task PublishCancelAsync(string cancelTopic, string requestId) =>
        Sender(cancelTopic).SendMessageAsync(new ServiceBusMessage(Encoding.UTF8.GetBytes($$"""{"requestId":"{{requestId}}"}"""))
        {
            ContentType = ContractCodec.JsonContentType,
        });

    public override async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _receiving;
        await _receiver.DisposeAsync();
        await _client.DisposeAsync();
        _stop.Dispose();
    }

    private ServiceBusSender Sender(string entity)
    {
        lock (_senders)
        {
            if (!_senders.TryGetValue(entity, out var sender))
            {
                sender = _client.CreateSender(entity);
                _senders[entity] = sender;
            }

            return sender;
        }
    }

    private async Task ReceiveAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                foreach (var message in await _receiver.ReceiveMessagesAsync(64, TimeSpan.FromSeconds(1), _stop.Token))
                {
                    var type = message.ApplicationProperties.TryGetValue(MessageHeaders.MessageType, out var value) ? value as string : null;
                    await OnReplyAsync(message.Body.ToMemory(), type, message.ContentType);
                    await _receiver.CompleteMessageAsync(message, _stop.Token);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed.
        }
    }
}
