namespace LlmQueue.Serving.Options;

/// <summary>Broker-independent delivery settings (section "Transport"); each transport binds its own subsection.</summary>
public sealed class TransportOptions
{
    public const string SectionName = "Transport";

    public TransportKind Kind { get; set; } = TransportKind.InMemory;

    /// <summary>Queue the worker consumes GenerateRequest messages from.</summary>
    public string RequestQueue { get; set; } = "llmq-generate";

    /// <summary>Fan-out exchange (RabbitMQ) or topic CancelGeneration messages are published to.</summary>
    public string CancelTopic { get; set; } = "llmq-cancel";

    /// <summary>On stop, how long in-flight requests may run before they are cancelled and returned to the broker.</summary>
    public int DrainTimeoutSeconds { get; set; } = 30;

    /// <summary>Redeliveries after a transient fault (reply send failing, engine fault) before the request is answered internal_error and dead-lettered.</summary>
    public int RetryLimit { get; set; } = 3;

    /// <summary>Largest request body read; larger ones are answered message_too_large without being parsed.</summary>
    public int MaxBodyBytes { get; set; } = 1 << 20;

    /// <summary>How long the transport may stay faulted (not receiving and not recovering) before the worker exits so the orchestrator restarts it; 0 = never.</summary>
    public int FaultedExitSeconds { get; set; } = 60;

    /// <summary>How long a CancelGeneration is remembered for a request that has not arrived yet.</summary>
    public int CancelMemorySeconds { get; set; } = 600;
}
