namespace LlmQueue.Serving.Admission;

/// <summary>
/// Recent CancelGeneration ids, so a request cancelled while it still waited in the broker is answered cancelled when
/// it arrives instead of running to the end. Bounded in count (oldest forgotten first) and in time.
/// </summary>
public sealed class CancelMemory(TimeProvider time, TimeSpan lifetime, int capacity = 10_000)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _expiry = new(StringComparer.Ordinal);
    private readonly Queue<(string Id, long Expiry)> _order = new();

    public void Remember(string requestId)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        if (lifetime <= TimeSpan.Zero)
        {
            return;
        }

        var expiry = time.GetTimestamp() + (long)(lifetime.TotalSeconds * time.TimestampFrequency);
        lock (_lock)
        {
            Prune();
            while (_expiry.Count >= capacity && _order.TryDequeue(out var oldest))
            {
                ForgetIfCurrent(oldest);
            }

            _expiry[requestId] = expiry;
            _order.Enqueue((requestId, expiry));
        }
    }

    public bool WasCancelled(string requestId)
    {
        lock (_lock)
        {
            return _expiry.TryGetValue(requestId, out var expiry) && expiry > time.GetTimestamp();
        }
    }

    private void Prune()
    {
        var now = time.GetTimestamp();
        while (_order.TryPeek(out var oldest) && oldest.Expiry <= now)
        {
            _order.Dequeue();
            ForgetIfCurrent(oldest);
        }
    }

    // A later Remember of the same id re-queued it with a newer expiry; only the newest entry removes it.
    private void ForgetIfCurrent((string Id, long Expiry) entry)
    {
        if (_expiry.TryGetValue(entry.Id, out var current) && current == entry.Expiry)
        {
            _expiry.Remove(entry.Id);
        }
    }
}
