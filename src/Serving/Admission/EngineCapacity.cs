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

    /// <summary>A delivery was taken; until the returned scope is disposed (submitted to the engine, which then counts
    /// it, or finished without being) it counts against the free slots. Disposing twice leaves once.</summary>
    public IDisposable EnterAdmission()
    {
        Interlocked.Increment(ref _admitting);
        OnChanged();
        return new Admission(this);
    }

    public void Dispose() => _engine.CapacityChanged -= OnChanged;

    private void OnChanged() => Changed?.Invoke();

    private void Leave()
    {
        Interlocked.Decrement(ref _admitting);
        OnChanged();
    }

    private sealed class Admission(EngineCapacity owner) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                owner.Leave();
            }
        }
    }
}
