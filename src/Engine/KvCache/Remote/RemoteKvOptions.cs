namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>
/// The remote prefix tier's settings (section "RedisTier" in the worker). Off when no connection string is set.
/// </summary>
public sealed record RemoteKvOptions
{
    /// <summary>Shortest accepted secret: the HMAC key must not be guessable.</summary>
    public const int MinSecretLength = 16;

    /// <summary>StackExchange.Redis connection string, e.g. "redis.internal:6380,password=...,ssl=true". Empty: the tier is off.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>Deployment secret keying the HMAC-SHA256 of every value (UTF-8, at least <see cref="MinSecretLength"/> characters).</summary>
    public string? Secret { get; init; }

    /// <summary>First part of every key, so several deployments can share one Redis.</summary>
    public string KeyPrefix { get; init; } = "llmq:kv";

    /// <summary>Time to live of a written value.</summary>
    public int TtlSeconds { get; init; } = 3600;

    /// <summary>Values larger than this (header and MAC included) are not written.</summary>
    public int MaxValueBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Value bytes one lookup call may ask for: a longer prefix is fetched in consecutive calls (each within the
    /// timeout), stopping at the first block the store does not have.
    /// </summary>
    public int MaxLookupBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Blocks waiting to be written; more are dropped rather than slowing the engine.</summary>
    public int WriteQueueCapacity { get; init; } = 256;

    /// <summary>Limit of one store call (a pipelined lookup or one write).</summary>
    public int TimeoutMilliseconds { get; init; } = 500;

    /// <summary>Consecutive store faults that open the circuit breaker.</summary>
    public int BreakerThreshold { get; init; } = 5;

    /// <summary>How long an open breaker keeps calls away from the store before one probe.</summary>
    public int BreakerCoolDownMilliseconds { get; init; } = 10_000;

    public bool Enabled => !string.IsNullOrWhiteSpace(ConnectionString);

    /// <summary>Every rule the settings break, each naming its key under <paramref name="section"/>.</summary>
    public IReadOnlyList<string> Validate(string section)
    {
        var failures = new List<string>();
        if (Enabled && (Secret is null || Secret.Length < MinSecretLength))
        {
            failures.Add($"{section}:Secret must be set, at least {MinSecretLength} characters, when {section}:ConnectionString is set.");
        }

        if (string.IsNullOrWhiteSpace(KeyPrefix))
        {
            failures.Add($"{section}:KeyPrefix must not be empty.");
        }

        OptionChecks.AddIfNotPositive(failures, section, nameof(TtlSeconds), TtlSeconds);
        OptionChecks.AddIfNotPositive(failures, section, nameof(MaxValueBytes), MaxValueBytes);
        OptionChecks.AddIfNotPositive(failures, section, nameof(MaxLookupBytes), MaxLookupBytes);
        OptionChecks.AddIfNotPositive(failures, section, nameof(WriteQueueCapacity), WriteQueueCapacity);
        OptionChecks.AddIfNotPositive(failures, section, nameof(TimeoutMilliseconds), TimeoutMilliseconds);
        OptionChecks.AddIfNotPositive(failures, section, nameof(BreakerThreshold), BreakerThreshold);
        if (BreakerCoolDownMilliseconds < 0)
        {
            failures.Add($"{section}:BreakerCoolDownMilliseconds must be >= 0, got {BreakerCoolDownMilliseconds}.");
        }

        return failures;
    }
}
