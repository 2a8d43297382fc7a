namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>Why a block offered to the tier was not written.</summary>
public enum RemoteKvWriteDrop
{
    /// <summary>The write-behind queue was full (the store is slower than the engine produces blocks).</summary>
    QueueFull,

    /// <summary>The value would exceed the configured maximum value size.</summary>
    Oversize,

    /// <summary>The circuit breaker was open when the write's turn came.</summary>
    BreakerOpen,

    /// <summary>The store failed or timed out.</summary>
    Fault,
}
