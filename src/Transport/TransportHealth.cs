namespace LlmQueue.Transport;

public enum TransportState
{
    /// <summary>Not connected yet.</summary>
    Starting,

    /// <summary>Connected and receiving.</summary>
    Receiving,

    /// <summary>The connection or consumer was lost; the transport is reconnecting.</summary>
    Recovering,

    /// <summary>Receiving was stopped on purpose (drain).</summary>
    Stopped,

    /// <summary>Lost and not coming back by itself (e.g. the request queue was deleted); the replica should restart.</summary>
    Faulted,
}

/// <summary>A transport's state, why, and since when.</summary>
public sealed record TransportHealth(TransportState State, string? Reason, DateTimeOffset Since)
{
    public static TransportHealth Now(TransportState state, string? reason = null) => new(state, reason, DateTimeOffset.UtcNow);
}
