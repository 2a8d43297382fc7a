using MassTransit;

namespace LlmQueue.Client;

/// <summary>
/// The client's private reply queue. Temporary, so brokers that support it (RabbitMQ) declare it
/// non-durable and auto-delete: it disappears with the client. No consume topology: replies are sent
/// to this queue directly, never published, so binding message-type exchanges would only leak traffic.
/// </summary>
internal sealed class ReplyEndpointDefinition(string queueName) : IEndpointDefinition
{
    public bool IsTemporary => true;

    /// <summary>
    /// Deep prefetch: with one handler at a time, a shallow prefetch (MassTransit derives it from the
    /// concurrency limit) makes every reply wait for the previous one's ack round trip.
    /// </summary>
    public int? PrefetchCount => 512;

    /// <summary>
    /// One at a time keeps the broker's delivery order (the handler only hands the message to a channel,
    /// so this costs no throughput) and the sequencer rarely has to buffer.
    /// </summary>
    public int? ConcurrentMessageLimit => 1;

    public bool ConfigureConsumeTopology => false;

    public string GetEndpointName(IEndpointNameFormatter formatter) => queueName;

    public void Configure<T>(T configurator, IRegistrationContext? context)
        where T : IReceiveEndpointConfigurator
    {
        // Handlers are attached by InferenceClient when it connects the endpoint.
    }
}
