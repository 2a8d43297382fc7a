namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>
/// A snapshot of the remote tier's counters since it started (local prefix hits are the engine's to count).
/// Misses include blocks absent from the store, blocks that failed verification and every block of a lookup
/// that faulted, timed out or was short-circuited by the open breaker.
/// </summary>
public sealed record RemoteKvStats(
    long RemoteHits,
    long Misses,
    long BytesRead,
    long ValuesWritten,
    long ValuesAlreadyPresent,
    long BytesWritten,
    IReadOnlyDictionary<KvBlockVerdict, long> VerificationFailures,
    IReadOnlyDictionary<RemoteKvWriteDrop, long> WriteDrops,
    long StoreErrors,
    long StoreTimeouts,
    long ShortCircuits,
    long BreakerOpens,
    CircuitState BreakerState);
