namespace LlmQueue.Worker.Options;

/// <summary>Broker and delivery settings (section "Transport").</summary>
public sealed class TransportOptions
{
    public const string SectionName = "Transport";

    public TransportKind Kind { get; set; } = TransportKind.InMemory;

    public RabbitMqOptions RabbitMq { get; set; } = new();

    /// <summary>Queue the worker consumes GenerateRequest messages from.</summary>
    public string RequestQueue { get; set; } = "llmq-generate";

    /// <summary>On stop, how long in-flight requests may run before they are cancelled and returned to the broker.</summary>
    public int DrainTimeoutSeconds { get; set; } = 30;

    /// <summary>Immediate retries of a transient fault (reply send failing, unexpected exception) before dead-lettering.</summary>
    public int RetryLimit { get; set; } = 3;
}
