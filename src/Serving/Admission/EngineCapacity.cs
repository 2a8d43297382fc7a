using LlmQueue.Engine;
using LlmQueue.Transport;

namespace LlmQueue.Serving.Admission;

/// <summary>
/// The engine's free slots minus the deliveries already taken that have not reached the engine yet (still being
/// decoded or waiting at the admission gate): what a transport that can adjust its intake should take now.
/// </summary>
public sealed class EngineCapacity : ITransportCapacity, IDisposable
{
    private readonly IGenerationEngine _engine;
    private int _admitting;

    public EngineCapacity(IGenerationEngine engine)
    {
        _engine = engine;
        _engine.CapacityChanged += OnChanged;
    }

    public event Action? Changed;

    public int Available => Math.Max(0, _engine.AvailableSlots - Volatile.Read(ref _admitting));

    /// <summary>A delivery was taken; until <see cref="LeftAdmission"/> it counts against the free slots.</summary>
    public void EnteredAdmission()
    {
        Interlocked.Increment(ref _admitting);
        OnChanged();
    }

    /// <summary>The delivery was submitted to the engine (which now counts it) or finished without being.</summary>
    public void LeftAdmission()
    {
        Interlocked.Decrement(ref _admitting);
        OnChanged();
    }

    public void Dispose() => _engine.CapacityChanged -= OnChanged;

    private void OnChanged() => Changed?.Invoke();
}
