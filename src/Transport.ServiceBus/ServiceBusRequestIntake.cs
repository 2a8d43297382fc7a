using System.Collections.Concurrent;
using Azure.Identity;
using Azure.Messaging.ServiceBus;

namespace LlmQueue.Transport.ServiceBus;

/// <summary>
/// The request queue's receive loop. It receives (PeekLock, prefetch 0: a message is locked only when it is received)
/// one message at a time, only while the engine has free capacity and fewer than the running-request limit are held: a
/// replica locks no request it cannot start, and the rest stay in the queue for other replicas (and for KEDA to count).
/// One at a time because a batch receive waits for its batch to fill (20 ms past the first message in the SDK), which a
/// request pays in latency; one receive round trip per request is small next to a generation. Each message received
/// goes to <c>serve</c>, which renews, serves and settles it.
/// </summary>
internal sealed class ServiceBusRequestIntake : IDisposable
{
    /// <summary>
    /// How long one receive waits for a message; the stop waits for it rather than cancelling it, so a message the
    /// receive takes is handed back explicitly. An empty receive leaves its one credit on the link (the AMQP library
    /// does not drain it), but a message sent against it while no receive waits is released straight back to the queue.
    /// </summary>
    private static readonly TimeSpan s_receiveWait = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(30);

    private readonly ServiceBusReceiver _receiver;
    private readonly int _maxInFlight;
    private readonly ITransportCapacity _capacity;
    private readonly Func<ServiceBusReceivedMessage, Task> _serve;
    private readonly Action<ServiceBusReceivedMessage> _handBack;
    private readonly Func<Exception, TimeSpan?> _receiveFailed;
    private readonly CancellationTokenSource _stop = new();
    // Released when the capacity or the number held may have changed; at most one wake-up is kept.
    private readonly SemaphoreSlim _changed = new(0, 1);
    private readonly ConcurrentDictionary<Task, byte> _serving = new();
    private int _held;
    private Task _loop = Task.CompletedTask;

    /// <param name="serve">Serves and settles one delivery.</param>
    /// <param name="handBack">Takes a delivery received after the stop, to return it to the queue.</param>
    /// <param name="receiveFailed">Told each failed receive; returns how long to wait before the next, or null to stop.</param>
    public ServiceBusRequestIntake(
        ServiceBusReceiver receiver, int maxInFlight, ITransportCapacity capacity,
        Func<ServiceBusReceivedMessage, Task> serve, Action<ServiceBusReceivedMessage> handBack, Func<Exception, TimeSpan?> receiveFailed)
    {
        _receiver = receiver;
        _maxInFlight = Math.Max(1, maxInFlight);
        _capacity = capacity;
        _serve = serve;
        _handBack = handBack;
        _receiveFailed = receiveFailed;
    }

    /// <summary>Deliveries received and not yet settled.</summary>
    public int Held => Volatile.Read(ref _held);

    public void Start()
    {
        _capacity.Changed += Wake;
        _loop = Task.Run(ReceiveLoopAsync, CancellationToken.None);
    }

    /// <summary>Stops receiving; completes when the loop has ended (its last receive returned). Served deliveries go on.</summary>
    public async Task StopAsync()
    {
        try
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // Stopped and disposed already (a fault racing the drain).
        }

        await _loop.ConfigureAwait(false);
    }

    /// <summary>Completes when every delivery received so far is settled (or handed back).</summary>
    public Task DrainAsync() => Task.WhenAll(_serving.Keys);

    public void Dispose()
    {
        _capacity.Changed -= Wake;
        _stop.Dispose();
        _changed.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var stop = _stop.Token;
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            if (_capacity.Available <= 0 || Held >= _maxInFlight)
            {
                if (!await WaitForChangeAsync(stop).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            ServiceBusReceivedMessage? message;
            try
            {
                message = await _receiver.ReceiveMessageAsync(s_receiveWait, CancellationToken.None).ConfigureAwait(false);
                failures = 0;
            }
            catch (Exception ex) when (ex is ServiceBusException or UnauthorizedAccessException or AuthenticationFailedException
                or CredentialUnavailableException or TimeoutException or InvalidOperationException)
            {
                if (_receiveFailed(ex) is not { } pause || !await PauseAsync(Backoff(pause, ++failures), stop).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            if (message is null)
            {
                continue;
            }

            if (stop.IsCancellationRequested)
            {
                _handBack(message);
                return;
            }

            Interlocked.Increment(ref _held);
            var serving = ServeAsync(message);
            _serving.TryAdd(serving, 0);
            // Removed once done; ContinueWith runs after the add even when serving completed synchronously.
            _ = serving.ContinueWith(done => _serving.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(ServiceBusReceivedMessage message)
    {
        try
        {
            // Started here, in order: by the time it first waits, the serving core counts the request against capacity.
            await _serve(message).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _held);
            Wake();
        }
    }

    /// <summary>Waits for a change of capacity or of the deliveries held; false once stopped.</summary>
    private async Task<bool> WaitForChangeAsync(CancellationToken stop)
    {
        try
        {
            await _changed.WaitAsync(stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Waits <paramref name="pause"/> after a failed receive; false once stopped.</summary>
    private static async Task<bool> PauseAsync(TimeSpan pause, CancellationToken stop)
    {
        try
        {
            await Task.Delay(pause, stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false;
        }
    }

    private void Wake()
    {
        try
        {
            if (_changed.CurrentCount == 0)
            {
                _changed.Release();
            }
        }
        catch (Exception ex) when (ex is SemaphoreFullException or ObjectDisposedException)
        {
            // A wake-up is pending already, or the intake is gone.
        }
    }

    private static TimeSpan Backoff(TimeSpan first, int failures) =>
        TimeSpan.FromTicks(Math.Min(s_maxBackoff.Ticks, first.Ticks * (1L << Math.Min(failures - 1, 16))));
}
