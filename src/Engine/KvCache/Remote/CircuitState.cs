namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>Numbered as reported by the breaker-state gauge.</summary>
public enum CircuitState
{
    Closed = 0,
    Open = 1,
    HalfOpen = 2,
}
