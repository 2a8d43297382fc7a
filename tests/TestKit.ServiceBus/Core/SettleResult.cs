namespace LlmQueue.TestKit.ServiceBus.Core;

internal enum SettleResult
{
    Settled,
    /// <summary>The lock token is unknown or its lock ran out.</summary>
    MessageLockLost,
    /// <summary>The message's session is no longer locked.</summary>
    SessionLockLost,
}
