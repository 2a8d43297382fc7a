namespace LlmQueue.Serving.Requests;

/// <summary>
/// Serves one delivery per request id at a time on this replica. A broker can hand the same request over again
/// while the first delivery still runs here: Service Bus makes a message available again as soon as its lock is
/// lost, which can be before this replica has noticed the loss. A newer attempt therefore takes over (the running
/// one is told it was superseded and ends without a final reply); any other second delivery of the id (a duplicate
/// message) waits for the running one to end, then runs as it would on another replica.
/// </summary>
internal sealed class RequestTurns
{
    private readonly Dictionary<string, Turn> _running = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Waits until no other delivery of <paramref name="requestId"/> runs here, then holds the id until the turn is disposed.</summary>
    public async Task<Turn> EnterAsync(string requestId, int attempt, CancellationToken cancel)
    {
        while (true)
        {
            Turn? running;
            lock (_lock)
            {
                if (!_running.TryGetValue(requestId, out running))
                {
                    var turn = new Turn(this, requestId, attempt);
                    _running.Add(requestId, turn);
                    return turn;
                }
            }

            if (attempt > running.Attempt)
            {
                running.Supersede();
            }

            await running.Ended.WaitAsync(cancel).ConfigureAwait(false);
        }
    }

    private void Release(Turn turn)
    {
        lock (_lock)
        {
            _running.Remove(turn.RequestId);
        }
    }

    /// <summary>One delivery's hold on its request id.</summary>
    public sealed class Turn : IDisposable
    {
        private readonly RequestTurns _owner;
        private readonly CancellationTokenSource _superseded = new();
        private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _disposed;

        internal Turn(RequestTurns owner, string requestId, int attempt)
        {
            _owner = owner;
            RequestId = requestId;
            Attempt = attempt;
        }

        public string RequestId { get; }

        public int Attempt { get; }

        /// <summary>Fires when a newer attempt of the request arrived here: this delivery's lock is gone or going.</summary>
        public CancellationToken Superseded => _superseded.Token;

        internal Task Ended => _ended.Task;

        internal void Supersede()
        {
            try
            {
                _superseded.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Ended meanwhile: nothing left to stop.
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            _owner.Release(this);
            _superseded.Dispose();
            _ended.TrySetResult();
        }
    }
}
