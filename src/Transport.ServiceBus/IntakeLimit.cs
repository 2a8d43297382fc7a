namespace LlmQueue.Transport.ServiceBus;

/// <summary>
/// How many request deliveries the processor may hold at once: those held now plus what the engine can still take,
/// between 1 (the SDK's minimum) and the running-request limit. The SDK locks a message only when a call slot is free
/// (prefetch 0), so this bounds the locks the replica holds, and the backlog stays in the queue where the autoscaler
/// counts it. A delivery is counted once the serving core has taken it in: by then (the core's synchronous start) it
/// is already subtracted from the capacity, so it is never counted twice.
/// </summary>
internal sealed class IntakeLimit(ITransportCapacity capacity, int maxInFlight, Action<int> apply)
{
    private readonly Lock _lock = new();
    private int _held;
    private int _applied = -1;

    /// <summary>The limit now (also the processor's starting MaxConcurrentCalls).</summary>
    public int Target => Math.Clamp(Volatile.Read(ref _held) + capacity.Available, 1, Math.Max(1, maxInFlight));

    public int Held => Volatile.Read(ref _held);

    /// <summary>The serving core took a delivery in.</summary>
    public void Taken()
    {
        Interlocked.Increment(ref _held);
        Update();
    }

    /// <summary>A delivery was settled (or given up).</summary>
    public void Released()
    {
        Interlocked.Decrement(ref _held);
        Update();
    }

    /// <summary>Applies the limit if it changed (capacity changes call this on any thread).</summary>
    public void Update()
    {
        lock (_lock)
        {
            var target = Target;
            if (target != _applied)
            {
                _applied = target;
                apply(target);
            }
        }
    }
}
