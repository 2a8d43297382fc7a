namespace LlmQueue.TestKit.ServiceBus;

/// <summary>Settings of a <see cref="ServiceBusTestBroker"/>.</summary>
public sealed record ServiceBusTestBrokerOptions
{
    /// <summary>Clock for lock expiry, scheduled messages, time to live and event timestamps.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Receives one line per protocol fault or rejected request; never throws into the broker.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>max-message-size announced on every link and enforced on incoming transfers (Standard tier: 256 KiB).</summary>
    public long MaxMessageSizeBytes { get; init; } = 256 * 1024;

    /// <summary>How often expired locks, due scheduled messages and expired messages are processed.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How long an accept-next-session attach waits for a session when the client names no timeout.</summary>
    public TimeSpan SessionAcceptTimeout { get; init; } = TimeSpan.FromSeconds(60);

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(TimeProvider);
        if (MaxMessageSizeBytes < 1024)
        {
            throw new ArgumentException($"MaxMessageSizeBytes must be at least 1024, got {MaxMessageSizeBytes}.");
        }

        if (SweepInterval <= TimeSpan.Zero || SweepInterval > TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException($"SweepInterval must be within (0, 1 s], got {SweepInterval}.");
        }

        if (SessionAcceptTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"SessionAcceptTimeout must be positive, got {SessionAcceptTimeout}.");
        }
    }
}
