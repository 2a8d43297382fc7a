namespace LlmQueue.Contracts;

/// <summary>Published (fan-out): the replica running RequestId stops it with FinishReason cancelled.</summary>
public sealed record CancelGeneration
{
    public string RequestId { get; init; } = "";
}
