using LlmQueue.Engine;

namespace LlmQueue.Serving.Admission;

/// <summary>
/// Lets a consumer hand a request to the engine only while the engine has a free slot, so messages the
/// engine could not start soon are not taken from other replicas. A consumer reserves a slot, submits,
/// then releases the reservation: from then on the engine's own AvailableSlots accounts for the request.
/// </summary>
public sealed class AdmissionGate : IDisposable
{
    private readonly IGenerationEngine _engine;
    private readonly Lock _lock = new();
    private TaskCompletionSource _capacityChanged = NewSignal();
    private int _reserved;

    public AdmissionGate(IGenerationEngine engine)
    {
        _engine = engine;
        _engine.CapacityChanged += OnCapacityChanged;
    }

    /// <summary>Reservations handed out and not yet released.</summary>
    public int Reserved
    {
        get
        {
            lock (_lock)
            {
                return _reserved;
            }
        }
    }

    /// <summary>Waits until the engine has a slot not already reserved by another consumer, and reserves it.</summary>
    public async ValueTask<Reservation> EnterAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_lock)
            {
                if (_engine.AvailableSlots - _reserved > 0)
                {
                    _reserved++;
                    return new Reservation(this);
                }

                signal = _capacityChanged.Task;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _engine.CapacityChanged -= OnCapacityChanged;

    private void Release()
    {
        lock (_lock)
        {
            _reserved--;
        }

        // Another waiter may fit now that this reservation no longer counts against the engine's slots.
        OnCapacityChanged();
    }

    private void OnCapacityChanged()
    {
        TaskCompletionSource fired;
        lock (_lock)
        {
            fired = _capacityChanged;
            _capacityChanged = NewSignal();
        }

        fired.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Held from admission until the request was submitted (or abandoned).</summary>
    public readonly struct Reservation(AdmissionGate gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
