using Amqp;
using Amqp.Framing;
using Amqp.Sasl;

namespace LlmQueue.TestKit.ServiceBus.Tests;

/// <summary>A plain AMQPNetLite client, for sending the broker what the SDK never would.</summary>
internal sealed class RawAmqpClient : IAsyncDisposable
{
    private readonly Connection _connection;

    private RawAmqpClient(Connection connection)
    {
        _connection = connection;
        Session = new Session(connection);
    }

    public Session Session { get; }

    /// <summary>Another session on the same connection, begun with <paramref name="begin"/>'s windows.</summary>
    public Session BeginSession(Begin begin) => new(_connection, begin, null);

    public static async Task<RawAmqpClient> ConnectAsync(ServiceBusTestBroker broker)
    {
        var factory = new ConnectionFactory();
        factory.SASL.Profile = SaslProfile.Anonymous;
        return new RawAmqpClient(await factory.CreateAsync(new Address($"amqp://127.0.0.1:{broker.Port}")));
    }

    /// <summary>The error condition the broker closes the link with (null if it closes without one).</summary>
    public static Task<string?> ClosedWithAsync(Link link)
    {
        var closed = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        link.AddClosedCallback((_, error) => closed.TrySetResult(error?.Condition?.ToString()));
        return closed.Task.WaitAsync(BrokerHarness.Patience);
    }

    /// <summary>A request-response pair on a node; returns the response's application properties.</summary>
    public async Task<IReadOnlyDictionary<string, object?>> RequestAsync(string node, string operation, object? body, string replyTo = "raw-reply")
    {
        var sender = new SenderLink(Session, $"{replyTo}-sender", node);
        // The response link's target is the address requests name as reply-to.
        var receiver = new ReceiverLink(Session, $"{replyTo}-receiver",
            new Attach { Source = new Source { Address = node }, Target = new Target { Address = replyTo } }, null);
        var request = new Message(body)
        {
            Properties = new Properties { MessageId = "req-1", ReplyTo = replyTo },
            ApplicationProperties = new ApplicationProperties(),
        };
        request.ApplicationProperties.Map["operation"] = operation;
        await sender.SendAsync(request);
        var response = await receiver.ReceiveAsync(BrokerHarness.Patience)
            ?? throw new TimeoutException($"No response to {operation} on {node}.");
        receiver.Accept(response);
        await sender.CloseAsync();
        await receiver.CloseAsync();
        return response.ApplicationProperties.Map.ToDictionary(p => p.Key.ToString()!, p => (object?)p.Value);
    }


    public async ValueTask DisposeAsync() => await _connection.CloseAsync();
}
