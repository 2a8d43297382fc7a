namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>
/// The shared store behind the remote prefix tier (Redis in deployment), as raw bytes. Implementations may
/// throw on faults; <see cref="RemoteKvTier"/> turns every fault into a miss or a dropped write.
/// </summary>
public interface IRemoteKvStore
{
    /// <summary>The values of <paramref name="keys"/> (null where absent), fetched in one pipelined round trip.</summary>
    Task<byte[]?[]> GetManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="value"/> with a time to live unless the key exists (SET NX EX); true when stored.</summary>
    Task<bool> SetIfAbsentAsync(string key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken);
}
