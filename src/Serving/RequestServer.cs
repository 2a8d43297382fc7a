using System.Diagnostics;
using LlmQueue.Contracts;
using LlmQueue.Engine;
using LlmQueue.Serving.Admission;
using LlmQueue.Serving.Callbacks;
using LlmQueue.Serving.Options;
using LlmQueue.Serving.Replies;
using LlmQueue.Serving.Requests;
using LlmQueue.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmQueue.Serving;

/// <summary>
/// The transport-free serving core: decodes a delivery, answers bad input once, admits the request when the engine
/// has room, streams its replies, and says how the delivery is to be settled. Every transport hands its deliveries
/// here, so every transport behaves the same. Settlement is complete only after the final reply was confirmed.
/// </summary>
public sealed partial class RequestServer : IDeliveryHandler, IDisposable
{
    private static readonly TimeSpan s_replyTimeout = TimeSpan.FromSeconds(30);

    private readonly IGenerationEngine _engine;
    private readonly AdmissionGate _gate;
    private readonly HeldRequests _held;
    private readonly CancelMemory _cancels;
    private readonly EngineCapacity _capacity;
    private readonly ICancelBroadcast? _broadcast;
    private readonly CallbackDispatcher _callbacks;
    private readonly TimeProvider _time;
    private readonly bool _relayCancels;
    private readonly IReplyPublisher _publisher;
    private readonly ServingMetrics _metrics;
    private readonly TransportOptions _options;
    private readonly ILogger<RequestServer> _logger;
    private readonly RequestTurns _turns = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly Lock _idleLock = new();
    private TaskCompletionSource _idle = NewIdleSignal(set: true);
    private int _inFlight;

    public RequestServer(
        IGenerationEngine engine, AdmissionGate gate, HeldRequests held, CancelMemory cancels, EngineCapacity capacity, IWorkerTransport transport,
        CallbackDispatcher callbacks, TimeProvider time, ServingMetrics metrics, IOptions<TransportOptions> options, ILogger<RequestServer> logger,
        ICancelBroadcast? broadcast = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        _engine = engine;
        _gate = gate;
        _held = held;
        _cancels = cancels;
        _capacity = capacity;
        _broadcast = broadcast;
        _callbacks = callbacks;
        _time = time;
        _relayCancels = !transport.FansOutCancels;
        _publisher = transport.Replies;
        _metrics = metrics;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>Deliveries being served now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Completes when no delivery is being served.</summary>
    public Task WhenIdleAsync()
    {
        lock (_idleLock)
        {
            return _idle.Task;
        }
    }

    /// <summary>The drain timeout passed: cancel what still runs; those deliveries are returned to the broker unanswered.</summary>
    public void AbortInFlight() => _abort.Cancel();

    public async Task<Settlement> HandleRequestAsync(InboundMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Enter();
        try
        {
            using var trace = _metrics.Received(message);
            var settlement = await ServeAsync(message).ConfigureAwait(false);
            _metrics.Settled(settlement);
            return settlement;
        }
        catch (Exception ex)
        {
            // ServeAsync handles every failure it can expect; reaching here is a bug. Let the broker try again.
            LogBug(_logger, ex);
            return Settlement.Requeue;
        }
        finally
        {
            Leave();
        }
    }

    public async Task<Settlement> HandleCallbackAsync(InboundMessage message)
    {
        try
        {
            return await _callbacks.HandleRetryAsync(message).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogBug(_logger, ex);
            return Settlement.Requeue;
        }
    }

    public void HandleCancel(InboundMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        string requestId;
        try
        {
            requestId = ContractCodec.Decode<CancelGeneration>(message.Body, message.ContentType).RequestId;
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
        {
            LogBadCancel(_logger, ex.Message);
            return;
        }

        if (string.IsNullOrEmpty(requestId))
        {
            return;
        }

        ApplyCancel(requestId);
        // Other replicas learn of it through the broadcast: relayed when the transport gave it to this replica only.
        _ = _broadcast?.ShareAsync(requestId, relay: _relayCancels);
    }

    /// <summary>Listens for cancels other replicas relay (the host calls this once at start).</summary>
    public Task SubscribeToRelayedCancelsAsync() => _broadcast?.SubscribeAsync(ApplyCancel) ?? Task.CompletedTask;

    private void ApplyCancel(string requestId)
    {
        // Remember first: a request that arrives later is answered cancelled. Then flag a held request before asking
        // the engine, so a consumer submitting meanwhile sees one of the two (see AdmitAsync).
        _cancels.Remember(requestId);
        if (_held.Cancel(requestId) | _engine.Cancel(requestId))
        {
            LogCancelled(_logger, requestId);
        }
    }

    public void Dispose() => _abort.Dispose();

    private async Task<Settlement> ServeAsync(InboundMessage message)
    {
        var received = Stopwatch.GetTimestamp();
        var attempt = Math.Max(1, message.DeliveryCount);
        var decoded = RequestDecoder.Decode(message, _options.MaxBodyBytes);
        var route = ReplyRouting.Resolve(message, decoded, _publisher);
        IReplyChannel? queue = route.Address is { } address
            ? new QueueReplyChannel(_publisher, address, decoded.Format, decoded.RequestId, s_replyTimeout)
            : null;

        if (decoded.Failure is { } failure)
        {
            LogUnreadable(_logger, decoded.RequestId, failure.Code, failure.Message);
            await TrySendAsync(queue, failure with { RequestId = decoded.RequestId, Attempt = attempt }, message.Lost).ConfigureAwait(false);
            return Settlement.DeadLetter(failure.Code, failure.Message);
        }

        var request = decoded.Request!;
        var callbackProblem = request.Callback is { } requested ? CheckCallback(requested) : null;
        var callback = request.Callback is { } wanted && callbackProblem is null
            ? new CallbackReplyChannel(_callbacks, wanted, request.RequestId, _time)
            : null;
        if ((route.Problem ?? callbackProblem) is { } problem)
        {
            LogBadReplyAddress(_logger, request.RequestId, problem);
            var answered = await TrySendAsync(queue ?? callback, Failed(request.RequestId, attempt, ErrorCodes.InvalidRequest, problem), message.Lost).ConfigureAwait(false);
            return answered ? Settlement.Complete : Settlement.DeadLetter(route.Problem is null ? "invalid_callback" : "invalid_reply_address", problem);
        }

        IReplyChannel? replies = (queue, callback) switch
        {
            (null, null) => null,
            ({ } q, null) => q,
            (null, { } c) => c,
            ({ } q, { } c) => new FanOutReplyChannel([q, c]),
        };
        if (replies is null)
        {
            LogNoReplyAddress(_logger, request.RequestId);
            return Settlement.DeadLetter("no_reply_address", "The request names no reply address (replyTo, callback, ResponseAddress or the transport's reply_to).");
        }

        // Counted against the free slots from here: the wait for this request id's turn, the cancel check (which may
        // wait on Redis) and the admission gate all come before the engine counts it, and a transport following the
        // capacity must not take another delivery for its slot meanwhile.
        using var admission = _capacity.EnterAdmission();
        using var turn = await EnterTurnAsync(request.RequestId, attempt, message.Lost).ConfigureAwait(false);
        if (turn is null)
        {
            return Settlement.Requeue;
        }

        using var superseded = turn.Superseded.Register(() => LogSuperseded(_logger, request.RequestId, attempt));
        // A newer attempt delivered here means this delivery's lock is gone, whether or not the transport has noticed.
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(message.Lost, turn.Superseded);
        // Sends stop only when the delivery is lost; generation also stops at the drain timeout.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token, lost.Token);
        try
        {
            return await ServeRequestAsync(request, attempt, replies, received, admission, stop.Token, lost.Token).ConfigureAwait(false);
        }
        catch (ReplyUndeliverableException ex)
        {
            _metrics.Undeliverable();
            var target = route.Address?.ToString() ?? request.Callback?.Url ?? "";
            LogUndeliverable(_logger, request.RequestId, target, ex.Message);
            return Settlement.DeadLetter("reply_undeliverable", $"Replies to {target} cannot be delivered: {ex.Message}");
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return Settlement.Requeue;
        }
        catch (Exception ex) when (attempt <= _options.RetryLimit)
        {
            LogRetrying(_logger, request.RequestId, attempt, ex.Message);
            return Settlement.Requeue;
        }
        catch (Exception ex)
        {
            LogGivingUp(_logger, request.RequestId, attempt, ex);
            await TrySendAsync(replies, Failed(request.RequestId, attempt, ErrorCodes.Internal, "The worker failed while serving the request; see the worker log."), message.Lost)
                .ConfigureAwait(false);
            return Settlement.DeadLetter(ErrorCodes.Internal, ex.Message);
        }
    }

    /// <summary>This delivery's turn at its request id, or null when the delivery was lost or the drain ended while it waited.</summary>
    private async Task<RequestTurns.Turn?> EnterTurnAsync(string requestId, int attempt, CancellationToken lost)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token, lost);
        try
        {
            return await _turns.EnterAsync(requestId, attempt, waiting.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (waiting.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task<Settlement> ServeRequestAsync(
        GenerateRequest request, int attempt, IReplyChannel replies, long received, IDisposable admission, CancellationToken stop, CancellationToken lost)
    {
        GenerationHandle? handle;
        try
        {
            if (_cancels.WasCancelled(request.RequestId) || (_broadcast is not null && await _broadcast.WasCancelledAsync(request.RequestId).ConfigureAwait(false)))
            {
                await replies.SendAsync(ReplyMapper.ToCompleted(request.RequestId, attempt, new GenerationResult { FinishReason = FinishReason.Cancelled }), lost)
                    .ConfigureAwait(false);
                return Settlement.Complete;
            }

            handle = await AdmitAsync(RequestMapper.Map(request, received), stop).ConfigureAwait(false);
        }
        catch (RequestRejectedException ex)
        {
            await replies.SendAsync(Failed(request.RequestId, attempt, RequestMapper.ErrorCodeFor(ex.Reason), ex.Message), lost).ConfigureAwait(false);
            return Settlement.Complete;
        }
        finally
        {
            admission.Dispose();
        }

        var result = handle is null
            ? new GenerationResult { FinishReason = FinishReason.Cancelled }
            : await StreamAsync(handle, request.Stream, attempt, replies, stop, lost).ConfigureAwait(false);

        // Cancelled by the drain or a lost delivery, not by the client: no final reply; the broker delivers it again.
        if (result.FinishReason == FinishReason.Cancelled && stop.IsCancellationRequested)
        {
            return Settlement.Requeue;
        }

        if (result.FinishReason == FinishReason.InvalidOutput)
        {
            await replies.SendAsync(Failed(request.RequestId, attempt, ErrorCodes.InvalidOutput, result.ErrorMessage ?? "invalid output"), lost).ConfigureAwait(false);
            return Settlement.Complete;
        }

        if (result.FinishReason == FinishReason.Error)
        {
            throw new InvalidOperationException($"The engine failed while generating: {result.ErrorMessage}");
        }

        await replies.SendAsync(ReplyMapper.ToCompleted(request.RequestId, attempt, result), lost).ConfigureAwait(false);
        LogFinished(_logger, request.RequestId, attempt, ReplyMapper.ToFinishReason(result.FinishReason), result.PromptTokens,
            result.CachedPromptTokens, result.CompletionTokens, result.TtftMs, result.DecodeTokensPerSec);
        _metrics.Finished(request.RequestId, result, received);
        return Settlement.Complete;
    }

    /// <summary>The engine's handle, or null when the client cancelled while the request waited for capacity.</summary>
    private async Task<GenerationHandle?> AdmitAsync(GenerationRequest request, CancellationToken stop)
    {
        using var hold = _held.Enter(request.RequestId);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stop, hold.Token);
        try
        {
            using (await _gate.EnterAsync(waiting.Token).ConfigureAwait(false))
            {
                var handle = _engine.Submit(request);

                // The cancel handler flags the hold before asking the engine, so one of the two sees it.
                if (hold.IsCancelled)
                {
                    _engine.Cancel(request.RequestId);
                }

                return handle;
            }
        }
        catch (OperationCanceledException) when (hold.IsCancelled && !stop.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task<GenerationResult> StreamAsync(
        GenerationHandle handle, bool stream, int attempt, IReplyChannel replies, CancellationToken stop, CancellationToken lost)
    {
        using var registration = stop.Register(() => _engine.Cancel(handle.RequestId));
        try
        {
            var seq = 0;
            var tokens = _metrics.StartTokenClock();

            // Deltas are read even when not streamed so the engine never waits on a full channel; the engine
            // completes the channel after a cancel, so the read needs no token.
            await foreach (var delta in handle.Deltas.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                tokens.Observe(delta.TokenIds.Count);
                if (stream)
                {
                    await replies.SendAsync(ReplyMapper.ToChunk(handle.RequestId, attempt, seq++, delta), lost).ConfigureAwait(false);
                }
            }

            return await handle.Completion.ConfigureAwait(false);
        }
        catch
        {
            // A reply could not be sent: stop the generation before the delivery is settled or tried again.
            _engine.Cancel(handle.RequestId);
            await handle.Completion.ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Best effort for failure replies: the settlement does not depend on them. True when sent.</summary>
    private async Task<bool> TrySendAsync(IReplyChannel? replies, GenerateFailed failure, CancellationToken lost)
    {
        if (replies is null)
        {
            return false;
        }

        try
        {
            await replies.SendAsync(failure, lost).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !lost.IsCancellationRequested)
        {
            LogFailureReplyLost(_logger, failure.RequestId, failure.Code, ex.Message);
            return false;
        }
    }

    private string? CheckCallback(ResultCallback callback)
    {
        if (_callbacks.CheckUrl(callback.Url) is { } problem)
        {
            return problem + ".";
        }

        var unknown = callback.Events?.FirstOrDefault(e => e is not (CallbackEvents.Completed or CallbackEvents.Failed or CallbackEvents.Cancelled));
        return unknown is null ? null : $"callback.events: '{unknown}' is not one of completed, failed, cancelled.";
    }

    private static GenerateFailed Failed(string requestId, int attempt, string code, string text) =>
        new() { RequestId = requestId, Attempt = attempt, Code = code, Message = text };

    private void Enter()
    {
        lock (_idleLock)
        {
            if (_inFlight++ == 0)
            {
                _idle = NewIdleSignal(set: false);
            }
        }
    }

    private void Leave()
    {
        TaskCompletionSource? idle = null;
        lock (_idleLock)
        {
            if (--_inFlight == 0)
            {
                idle = _idle;
            }
        }

        idle?.TrySetResult();
    }

    private static TaskCompletionSource NewIdleSignal(bool set)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (set)
        {
            signal.SetResult();
        }

        return signal;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Request {RequestId} attempt {Attempt}: {FinishReason}, prompt {PromptTokens} tokens ({CachedTokens} cached), generated {GeneratedTokens}, TTFT {TtftMs:F1} ms, {TokensPerSecond:F1} tok/s")]
    private static partial void LogFinished(ILogger logger, string requestId, int attempt, string finishReason, int promptTokens, int cachedTokens,
        int generatedTokens, double ttftMs, double tokensPerSecond);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: unreadable body ({Code}): {Problem}; answered and dead-lettered.")]
    private static partial void LogUnreadable(ILogger logger, string requestId, string code, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: {Problem}")]
    private static partial void LogBadReplyAddress(ILogger logger, string requestId, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} names no reply address (replyTo, ResponseAddress or reply_to); dead-lettered.")]
    private static partial void LogNoReplyAddress(ILogger logger, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: replies to {Address} cannot be delivered ({Reason}); the request is dead-lettered.")]
    private static partial void LogUndeliverable(ILogger logger, string requestId, string address, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} attempt {Attempt} failed ({Reason}); returning it to the broker for another attempt.")]
    private static partial void LogRetrying(ILogger logger, string requestId, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {RequestId} failed on attempt {Attempt}, the last allowed; answered internal_error and dead-lettered.")]
    private static partial void LogGivingUp(ILogger logger, string requestId, int attempt, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send GenerateFailed ({Code}) for request {RequestId}: {Reason}")]
    private static partial void LogFailureReplyLost(ILogger logger, string requestId, string code, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Request {RequestId} attempt {Attempt}: a newer attempt was delivered here (the lock was lost); stopping this one without a final reply.")]
    private static partial void LogSuperseded(ILogger logger, string requestId, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancelled request {RequestId}.")]
    private static partial void LogCancelled(ILogger logger, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a CancelGeneration that is not readable: {Problem}")]
    private static partial void LogBadCancel(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Unexpected failure while serving a delivery; it goes back to the broker.")]
    private static partial void LogBug(ILogger logger, Exception exception);
}
