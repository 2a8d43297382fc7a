namespace LlmQueue.Client;

/// <summary>Where the client sends requests and how its reply queue is named.</summary>
public sealed class InferenceClientOptions
{
    /// <summary>Queue the workers consume <c>GenerateRequest</c> from; must match the worker's Transport:RequestQueue.</summary>
    public string RequestQueue { get; set; } = "llmq-generate";

    /// <summary>Prefix of this client's own reply queue; the machine name and a GUID follow it.</summary>
    public string ReplyQueuePrefix { get; set; } = "llmq-client";
}
