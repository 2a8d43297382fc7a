using System.Collections.Concurrent;
using LlmQueue.Engine.KvCache.Remote;

namespace LlmQueue.Engine.Tests.KvCache.Remote;

/// <summary>An in-memory store that can fail every call or hold every call at a gate (a hung store).</summary>
internal sealed class FakeRemoteKvStore : IRemoteKvStore
{
    private int _getCalls;

    public ConcurrentDictionary<string, byte[]> Values { get; } = new();

    public int GetCalls => Volatile.Read(ref _getCalls);

    /// <summary>Released once each time a write reaches the store (before the gate).</summary>
    public SemaphoreSlim WritesEntered { get; } = new(0);

    public Exception? Fault { get; set; }

    public TaskCompletionSource? Gate { get; set; }

    public TimeSpan? LastTtl { get; private set; }

    public async Task<byte[]?[]> GetManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _getCalls);
        await PassAsync(cancellationToken);
        return keys.Select(k => Values.GetValueOrDefault(k)).ToArray();
    }

    public async Task<bool> SetIfAbsentAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        WritesEntered.Release();
        await PassAsync(cancellationToken);
        LastTtl = ttl;
        return Values.TryAdd(key, value);
    }

    private async Task PassAsync(CancellationToken cancellationToken)
    {
        if (Fault is { } fault)
        {
            throw fault;
        }

        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }
    }
}
