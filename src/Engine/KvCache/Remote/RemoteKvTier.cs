using System.Buffers;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>
/// The engine's door to the shared prefix tier. Lookups verify every value and never throw: a fault, a
/// timeout or an open circuit breaker makes the whole lookup a miss. Writes go through a bounded
/// write-behind queue drained by one background task, so the engine never waits on the store; a full
/// queue drops the block. Counters: <see cref="Stats"/> and the meter <see cref="MeterName"/>.
/// Disposing flushes the queue (each write still bounded by the timeout and the breaker).
/// </summary>
public sealed class RemoteKvTier : IAsyncDisposable
{
    public const string MeterName = RemoteKvMetrics.MeterName;

    /// <summary>Most writes sent together by one drain pass.</summary>
    private const int MaxWriteBatch = 64;

    private readonly IRemoteKvStore _store;
    private readonly KvBlockCodec _codec;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _ttl;
    private readonly TimeSpan _timeout;
    private readonly int _maxValueBytes;
    private readonly string _keyPrefix;
    private readonly CircuitBreaker _breaker;
    private readonly RemoteKvMetrics _metrics;
    private readonly Channel<PendingWrite> _writes;
    private readonly Task _drain;

    public RemoteKvTier(IRemoteKvStore store, RemoteKvOptions options, TimeProvider? time = null, ILogger<RemoteKvTier>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var failures = options.Validate(nameof(RemoteKvOptions));
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", failures), nameof(options));
        }

        _store = store;
        _codec = new KvBlockCodec(Encoding.UTF8.GetBytes(options.Secret ?? ""));
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger<RemoteKvTier>.Instance;
        _ttl = TimeSpan.FromSeconds(options.TtlSeconds);
        _timeout = TimeSpan.FromMilliseconds(options.TimeoutMilliseconds);
        _maxValueBytes = options.MaxValueBytes;
        _keyPrefix = options.KeyPrefix;
        MaxLookupBytes = options.MaxLookupBytes;
        _breaker = new CircuitBreaker(options.BreakerThreshold, TimeSpan.FromMilliseconds(options.BreakerCoolDownMilliseconds), _time);
        _metrics = new RemoteKvMetrics(_breaker, this);
        _writes = Channel.CreateBounded<PendingWrite>(new BoundedChannelOptions(options.WriteQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _drain = Task.Run(DrainWritesAsync);
    }

    private enum CallOutcome
    {
        Succeeded,
        ShortCircuited,
        Failed,
    }

    public RemoteKvStats Stats => _metrics.Snapshot();

    /// <summary>Value bytes one <see cref="LookupAsync"/> call should ask for at most (RemoteKvOptions.MaxLookupBytes).</summary>
    public int MaxLookupBytes { get; }

    /// <summary>The keys of one model's blocks under this deployment's key prefix.</summary>
    public RemoteKvKeys KeysFor(string modelFingerprint) => new(_keyPrefix, modelFingerprint);

    /// <summary>
    /// Per key, the verified payload or null (a miss), from one pipelined store call. Never throws on store
    /// faults; cancelling <paramref name="cancellationToken"/> turns the lookup into misses too.
    /// </summary>
    public async Task<ReadOnlyMemory<byte>?[]> LookupAsync(IReadOnlyList<string> keys, KvBlockHeader expected, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(expected);
        var found = new ReadOnlyMemory<byte>?[keys.Count];
        if (keys.Count == 0)
        {
            return found;
        }

        var (outcome, values) = await CallStoreAsync(token => _store.GetManyAsync(keys, token), cancellationToken);
        var hits = 0;
        if (outcome == CallOutcome.Succeeded && values is not null)
        {
            for (var i = 0; i < keys.Count; i++)
            {
                found[i] = Verify(keys[i], values[i], expected);
                hits += found[i] is null ? 0 : 1;
            }
        }

        _metrics.Hits.Add(hits);
        _metrics.Misses.Add(keys.Count - hits);
        return found;
    }

    /// <summary>
    /// Offers a computed block for writing; copies <paramref name="payload"/> and returns at once. False when
    /// the block is dropped (queue full, value over the size limit, tier disposed).
    /// </summary>
    public bool TryWrite(string key, KvBlockHeader header, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(header);
        if (payload.Length != header.PayloadLength)
        {
            throw new ArgumentException($"The payload is {payload.Length} bytes but the header says {header.PayloadLength}.", nameof(payload));
        }

        if (KvBlockCodec.ValueLength(header) > _maxValueBytes)
        {
            _metrics.WriteDrops[RemoteKvWriteDrop.Oversize].Add(1);
            return false;
        }

        // A pooled copy: blocks are large-object sized, and a fresh array per block would hand the engine
        // thread gen-2 collections to pay for.
        var copy = ArrayPool<byte>.Shared.Rent(payload.Length);
        payload.CopyTo(copy);
        if (_writes.Writer.TryWrite(new PendingWrite(key, header, copy)))
        {
            return true;
        }

        ArrayPool<byte>.Shared.Return(copy);
        _metrics.WriteDrops[RemoteKvWriteDrop.QueueFull].Add(1);
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        await _drain;
        _metrics.Dispose();
    }

    private ReadOnlyMemory<byte>? Verify(string key, byte[]? value, KvBlockHeader expected)
    {
        if (value is null)
        {
            return null;
        }

        _metrics.BytesRead.Add(value.Length);
        var decoded = _codec.Decode(key, value, expected);
        if (decoded.Verdict == KvBlockVerdict.Ok)
        {
            return decoded.Payload;
        }

        _metrics.VerificationFailures[decoded.Verdict].Add(1);
        _logger.LogWarning("Remote KV value {Key} rejected: {Verdict}.", key, decoded.Verdict);
        return null;
    }

    /// <summary>
    /// Sends what is queued in batches: every write waiting when the drain wakes goes out at once (pipelined on
    /// the connection) and the batch is awaited together, so a burst of blocks costs one wake-up, not one per block.
    /// </summary>
    private async Task DrainWritesAsync()
    {
        var batch = new List<Task>();
        while (await _writes.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxWriteBatch && _writes.Reader.TryRead(out var write))
            {
                batch.Add(WriteAsync(write));
            }

            await Task.WhenAll(batch);
            batch.Clear();
        }
    }

    private async Task WriteAsync(PendingWrite write)
    {
        var value = _codec.Encode(write.Key, write.Header, write.Payload.AsSpan(0, write.Header.PayloadLength));
        ArrayPool<byte>.Shared.Return(write.Payload);
        var (outcome, stored) = await CallStoreAsync(token => _store.SetIfAbsentAsync(write.Key, value, _ttl, token), CancellationToken.None);
        switch (outcome)
        {
            case CallOutcome.Succeeded when stored:
                _metrics.ValuesWritten.Add(1);
                _metrics.BytesWritten.Add(value.Length);
                break;
            case CallOutcome.Succeeded:
                _metrics.ValuesAlreadyPresent.Add(1);
                break;
            case CallOutcome.ShortCircuited:
                _metrics.WriteDrops[RemoteKvWriteDrop.BreakerOpen].Add(1);
                break;
            default:
                _metrics.WriteDrops[RemoteKvWriteDrop.Fault].Add(1);
                break;
        }
    }

    /// <summary>One store call through the breaker, bounded by the timeout; faults are counted, never thrown.</summary>
    private async Task<(CallOutcome Outcome, T? Result)> CallStoreAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        if (!_breaker.TryAcquire())
        {
            _metrics.ShortCircuits.Add(1);
            return (CallOutcome.ShortCircuited, default);
        }

        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<T>? pending = null;
        try
        {
            pending = call(abandon.Token);
            var result = await pending.WaitAsync(_timeout, _time, cancellationToken);
            _breaker.RecordSuccess();
            return (CallOutcome.Succeeded, result);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller gave up: says nothing about the store's health.
            await abandon.CancelAsync();
            ObserveLateFault(pending);
            return (CallOutcome.Failed, default);
        }
        catch (TimeoutException exception)
        {
            // Also StackExchange.Redis's own RedisTimeoutException.
            await abandon.CancelAsync();
            ObserveLateFault(pending);
            RecordFault(_metrics.StoreTimeouts, exception);
            return (CallOutcome.Failed, default);
        }
        catch (Exception exception)
        {
            // Any store failure (connection, protocol, server error) must become a miss, never a failed request.
            RecordFault(_metrics.StoreErrors, exception);
            return (CallOutcome.Failed, default);
        }
    }

    private void RecordFault(MetricTally kind, Exception exception)
    {
        kind.Add(1);
        _logger.LogDebug(exception, "Remote KV store call failed.");
        if (_breaker.RecordFault())
        {
            _metrics.BreakerOpens.Add(1);
            _logger.LogWarning("Remote KV store failing ({Message}); circuit breaker open, lookups are misses until a probe succeeds.", exception.Message);
        }
    }

    // A call left behind after a timeout may still fault later; observe it so it is not reported as unobserved.
    private static void ObserveLateFault(Task? pending) =>
        pending?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>A queued block; Payload is rented from the shared pool (its first Header.PayloadLength bytes count).</summary>
    private sealed record PendingWrite(string Key, KvBlockHeader Header, byte[] Payload);
}
