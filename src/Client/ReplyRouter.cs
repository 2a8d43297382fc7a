using System.Collections.Concurrent;

namespace LlmQueue.Client;

/// <summary>Dispatches replies arriving on the client's one reply queue to the request waiting for them.</summary>
internal sealed class ReplyRouter
{
    private readonly ConcurrentDictionary<string, PendingRequest> _pending = new(StringComparer.Ordinal);

    public PendingRequest Register(string requestId)
    {
        var pending = new PendingRequest(requestId, this);
        if (!_pending.TryAdd(requestId, pending))
        {
            throw new InvalidOperationException(
                $"RequestId '{requestId}' is already in flight on this client; request ids must be unique.");
        }

        return pending;
    }

    /// <summary>Replies for unknown ids (late duplicates of finished requests) are dropped.</summary>
    public bool Deliver(string requestId, object reply) =>
        _pending.TryGetValue(requestId, out var pending) && pending.Writer.TryWrite(reply);

    public void Unregister(PendingRequest pending) =>
        _pending.TryRemove(new KeyValuePair<string, PendingRequest>(pending.RequestId, pending));

    /// <summary>Wakes every waiting request with <paramref name="reason"/> (the client is shutting down).</summary>
    public void FailAll(Exception reason)
    {
        foreach (var pending in _pending.Values)
        {
            pending.Writer.TryComplete(reason);
        }
    }
}
