namespace LlmQueue.Transport;

/// <summary>What the transport does with a delivery once the serving core is done with it.</summary>
public enum SettlementKind
{
    /// <summary>Done (answered): remove it from the queue.</summary>
    Complete,

    /// <summary>Not done here: give it back for another delivery (the broker counts it).</summary>
    Requeue,

    /// <summary>Never deliverable: move it to the dead-letter queue with a reason.</summary>
    DeadLetter,
}

/// <summary>The outcome of serving one delivery.</summary>
public readonly record struct Settlement(SettlementKind Kind, string? Reason = null, string? Description = null)
{
    public static Settlement Complete { get; } = new(SettlementKind.Complete);

    public static Settlement Requeue { get; } = new(SettlementKind.Requeue);

    public static Settlement DeadLetter(string reason, string description) => new(SettlementKind.DeadLetter, reason, description);
}
