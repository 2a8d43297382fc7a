namespace LlmQueue.Transport;

/// <summary>How many more requests the engine can start soon: the number of deliveries worth taking from the broker now.</summary>
public interface ITransportCapacity
{
    /// <summary>Requests the engine could admit now beyond those already held.</summary>
    int Available { get; }

    /// <summary>Raised (on any thread) when <see cref="Available"/> may have changed.</summary>
    event Action? Changed;
}
