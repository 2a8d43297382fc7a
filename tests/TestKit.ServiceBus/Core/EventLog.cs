namespace LlmQueue.TestKit.ServiceBus.Core;

/// <summary>Append-only record of what the broker did, readable by tests while the broker runs.</summary>
internal sealed class EventLog
{
    private readonly object _sync = new();
    private readonly List<ServiceBusTestEvent> _events = [];
    private readonly List<(Func<ServiceBusTestEvent, bool> Match, TaskCompletionSource<ServiceBusTestEvent> Done)> _waiters = [];

    public void Append(ServiceBusTestEvent entry)
    {
        List<TaskCompletionSource<ServiceBusTestEvent>>? done = null;
        lock (_sync)
        {
            _events.Add(entry);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(entry))
                {
                    (done ??= []).Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }

        // Completion runs continuations elsewhere (RunContinuationsAsynchronously), never on the caller holding broker state.
        done?.ForEach(d => d.TrySetResult(entry));
    }

    public IReadOnlyList<ServiceBusTestEvent> Snapshot(Func<ServiceBusTestEvent, bool>? filter = null)
    {
        lock (_sync)
        {
            return filter is null ? [.. _events] : [.. _events.Where(filter)];
        }
    }

    /// <summary>The first event (already logged or future) that matches.</summary>
    public Task<ServiceBusTestEvent> FirstAsync(Func<ServiceBusTestEvent, bool> match)
    {
        lock (_sync)
        {
            foreach (var entry in _events)
            {
                if (match(entry))
                {
                    return Task.FromResult(entry);
                }
            }

            var done = new TaskCompletionSource<ServiceBusTestEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, done));
            return done.Task;
        }
    }

    public void CancelWaiters()
    {
        List<TaskCompletionSource<ServiceBusTestEvent>> pending;
        lock (_sync)
        {
            pending = [.. _waiters.Select(w => w.Done)];
            _waiters.Clear();
        }

        pending.ForEach(p => p.TrySetException(new ObjectDisposedException(nameof(ServiceBusTestBroker))));
    }
}
