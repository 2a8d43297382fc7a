namespace LlmQueue.Transport;

/// <summary>Where a reply goes: a queue, and on Service Bus the session within it.</summary>
public sealed record ReplyAddress(string Queue, string? SessionId = null)
{
    public override string ToString() => SessionId is null ? Queue : $"{Queue} (session {SessionId})";
}
