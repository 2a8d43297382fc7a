namespace LlmQueue.Client;

/// <summary>Where the client sends requests and cancels, and how its reply queue is named.</summary>
public sealed class InferenceClientOptions
{
    /// <summary>Queue the workers consume <c>GenerateRequest</c> from; must match the worker's Transport:RequestQueue.</summary>
    public string RequestQueue { get; set; } = "llmq-generate";

    /// <summary>Where CancelGeneration goes; must match the worker's Transport:CancelTopic.</summary>
    public string CancelTopic { get; set; } = "llmq-cancel";

    /// <summary>Prefix of this client's own reply queue; a GUID follows it.</summary>
    public string ReplyQueuePrefix { get; set; } = "llmq-client";
}
