namespace LlmQueue.Transport;

/// <summary>What the serving core tells a transport about the queues it serves; transport-specific settings are its own.</summary>
public sealed record WorkerTransportSettings
{
    /// <summary>The queue requests arrive on.</summary>
    public required string RequestQueue { get; init; }

    /// <summary>The fan-out (exchange, topic) CancelGeneration messages are published to.</summary>
    public required string CancelTopic { get; init; }

    /// <summary>Most deliveries held unsettled at once (the engine's running-request limit).</summary>
    public required int MaxInFlight { get; init; }

    /// <summary>Deliveries of one message before the broker itself dead-letters it (a poison message that kills the process).</summary>
    public int MaxDeliveries { get; init; } = 5;

    /// <summary>The queue of HTTP callback deliveries waiting to be retried; null when callbacks are not retried durably.</summary>
    public string? CallbackQueue { get; init; }

    /// <summary>The dead-letter queue of <see cref="RequestQueue"/> on brokers that have no built-in one.</summary>
    public string ErrorQueue => RequestQueue + "_error";

    /// <summary>The dead-letter queue of <see cref="CallbackQueue"/> on brokers that have no built-in one.</summary>
    public string? CallbackErrorQueue => CallbackQueue is null ? null : CallbackQueue + "_error";
}
