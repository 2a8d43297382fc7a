namespace LlmQueue.Serving.Admission;

/// <summary>
/// Cancels shared between replicas: remembered where every replica can look them up (a request cancelled before any
/// replica took it), and, for transports that deliver each cancel to one replica only, relayed to all of them.
/// </summary>
public interface ICancelBroadcast
{
    /// <summary>Remembers <paramref name="requestId"/> for every replica and, when <paramref name="relay"/>, tells the running ones.</summary>
    Task ShareAsync(string requestId, bool relay);

    /// <summary>Whether any replica saw a cancel for <paramref name="requestId"/> recently. False when unsure (store unreachable).</summary>
    Task<bool> WasCancelledAsync(string requestId);

    /// <summary>Calls <paramref name="onCancel"/> for every cancel relayed by any replica, this one included.</summary>
    Task SubscribeAsync(Action<string> onCancel);
}
