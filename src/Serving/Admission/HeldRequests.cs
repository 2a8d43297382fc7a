using System.Collections.Concurrent;

namespace LlmQueue.Serving.Admission;

/// <summary>
/// Requests this replica has taken from the broker but not yet handed to the engine (waiting at the
/// admission gate). A CancelGeneration for one of them must not be lost just because the engine does
/// not know the request yet.
/// </summary>
public sealed class HeldRequests
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _held = new(StringComparer.Ordinal);

    /// <summary>Registers the request until the returned hold is disposed; its token fires on cancel.</summary>
    public Hold Enter(string requestId)
    {
        var source = new CancellationTokenSource();
        // A duplicate id (the same request delivered twice at once) keeps the first registration.
        return _held.TryAdd(requestId, source) ? new Hold(this, requestId, source) : new Hold(null, requestId, source);
    }

    /// <summary>True when the request was held here.</summary>
    public bool Cancel(string requestId)
    {
        if (!_held.TryGetValue(requestId, out var source))
        {
            return false;
        }

        source.Cancel();
        return true;
    }

    public sealed class Hold(HeldRequests? owner, string requestId, CancellationTokenSource source) : IDisposable
    {
        public CancellationToken Token => source.Token;

        public bool IsCancelled => source.IsCancellationRequested;

        public void Dispose()
        {
            owner?._held.TryRemove(new KeyValuePair<string, CancellationTokenSource>(requestId, source));
            source.Dispose();
        }
    }
}
