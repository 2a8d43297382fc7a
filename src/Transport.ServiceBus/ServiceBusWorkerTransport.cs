using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Transport.ServiceBus;

/// <summary>
/// The worker on Azure Service Bus. A ServiceBusProcessor takes requests in PeekLock without prefetch, at most the
/// engine's running-request limit at once (the serving core's admission gate holds those the engine has no room for
/// yet; the processor's UpdateConcurrency was not reliable enough to follow the engine's free slots, see the README),
/// renews each lock while the request is served (up to
/// Transport:ServiceBus:MaxLockRenewalSeconds), and settles it as the serving core says: complete, abandon (the
/// entity's maxDeliveryCount dead-letters a message that keeps coming back) or dead-letter with a reason. Replies go to
/// the request's reply queue and session through cached senders. Cancels arrive on one subscription shared by every
/// replica, so each reaches one replica only; the serving core relays it to the others (<see cref="FansOutCancels"/>).
/// HTTP callbacks waiting for a retry are scheduled messages on the callback queue (an entity the deployment creates,
/// like the request queue), received by a second processor and settled the same way.
/// </summary>
public sealed partial class ServiceBusWorkerTransport : IWorkerTransport, IReplyPublisher
{
    /// <summary>Service Bus's limit on a dead-letter reason and description.</summary>
    private const int MaxDeadLetterText = 4096;

    /// <summary>Callback deliveries served at once (each is one HTTP POST).</summary>
    private const int CallbackConcurrency = 8;

    private static readonly TimeSpan s_maxProbeBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(30);

    private readonly ServiceBusOptions _options;
    private readonly WorkerTransportSettings _settings;
    private readonly ILogger _logger;
    private readonly ServiceBusClient _client;
    private readonly ServiceBusSenders _senders;
    private readonly CancellationTokenSource _disposing = new();
    private readonly Lock _healthLock = new();
    private ServiceBusProcessor? _requests;
    private ServiceBusProcessor? _cancels;
    private ServiceBusProcessor? _callbacks;
    private readonly ConcurrentQueue<(string Entity, ServiceBusReceivedMessage Message)> _handBack = new();
    private Task _stopReceiving = Task.CompletedTask;
    private Task _probing = Task.CompletedTask;
    private volatile TransportHealth _health = TransportHealth.Now(TransportState.Starting);
    private volatile bool _stopping;
    private int _disposed;

    public ServiceBusWorkerTransport(ServiceBusOptions options, WorkerTransportSettings settings, ILogger<ServiceBusWorkerTransport> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        _options = options;
        _settings = settings;
        _logger = logger;
        _client = ServiceBusConnection.CreateClient(options, $"llmq-worker-{Environment.MachineName}");
        _senders = new ServiceBusSenders(_client);
    }

    public string Description =>
        $"Azure Service Bus {_client.FullyQualifiedNamespace}, queue {_settings.RequestQueue}, cancels {_settings.CancelTopic}/{_options.CancelSubscription}";

    public IReplyPublisher Replies => this;

    public TransportHealth Health => _health;

    /// <summary>False: the cancel subscription is shared, so a cancel reaches one replica; the serving core relays it.</summary>
    public bool FansOutCancels => false;

    public async Task StartAsync(IDeliveryHandler handler, ITransportCapacity capacity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(capacity);
        _requests = _client.CreateProcessor(_settings.RequestQueue, new ServiceBusProcessorOptions
        {
            ReceiveMode = ServiceBusReceiveMode.PeekLock,
            AutoCompleteMessages = false,
            // A prefetched message's lock is already ticking while it waits for a call slot.
            PrefetchCount = 0,
            MaxConcurrentCalls = _settings.MaxInFlight,
            MaxAutoLockRenewalDuration = TimeSpan.FromSeconds(_options.MaxLockRenewalSeconds),
            Identifier = $"llmq-worker-{Environment.MachineName}-requests",
        });
        _requests.ProcessMessageAsync += args => OnRequestAsync(args, handler);
        _requests.ProcessErrorAsync += OnErrorAsync;

        _cancels = _client.CreateProcessor(_settings.CancelTopic, _options.CancelSubscription, new ServiceBusProcessorOptions
        {
            ReceiveMode = ServiceBusReceiveMode.PeekLock,
            // HandleCancel never throws; completing after it returns loses no cancel to a crash in between.
            AutoCompleteMessages = true,
            MaxConcurrentCalls = 1,
            PrefetchCount = 16,
            Identifier = $"llmq-worker-{Environment.MachineName}-cancels",
        });
        _cancels.ProcessMessageAsync += args =>
        {
            handler.HandleCancel(ServiceBusMessages.ToInbound(args.Message, CancellationToken.None));
            return Task.CompletedTask;
        };
        _cancels.ProcessErrorAsync += OnErrorAsync;

        if (_settings.CallbackQueue is { } callbackQueue)
        {
            _callbacks = _client.CreateProcessor(callbackQueue, new ServiceBusProcessorOptions
            {
                ReceiveMode = ServiceBusReceiveMode.PeekLock,
                AutoCompleteMessages = false,
                MaxConcurrentCalls = CallbackConcurrency,
                PrefetchCount = 0,
                MaxAutoLockRenewalDuration = TimeSpan.FromSeconds(_options.MaxLockRenewalSeconds),
                Identifier = $"llmq-worker-{Environment.MachineName}-callbacks",
            });
            _callbacks.ProcessMessageAsync += args => OnCallbackAsync(args, handler);
            _callbacks.ProcessErrorAsync += OnErrorAsync;
        }

        // Whether the entities exist and the identity may read them: one clear line now rather than a stream of
        // processor errors. A namespace that cannot be reached yet is not fatal: the processors keep trying.
        if (await ProbeAsync(cancellationToken).ConfigureAwait(false) is { } problem)
        {
            if (problem.Permanent)
            {
                Fault(problem.Reason);
                return;
            }

            EnterRecovering(problem.Reason);
        }
        else
        {
            SetHealth(TransportState.Receiving, null);
        }

        await _requests.StartProcessingAsync(cancellationToken).ConfigureAwait(false);
        await _cancels.StartProcessingAsync(cancellationToken).ConfigureAwait(false);
        if (_callbacks is { } callbacks)
        {
            await callbacks.StartProcessingAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopReceivingAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        SetHealth(TransportState.Stopped, "stopped receiving");
        // StopProcessingAsync returns only when every handler has returned, i.e. after the drain: started here, awaited
        // when the transport is disposed. From now on the processors lock no new message.
        _stopReceiving = StopThenHandBackAsync();
        return Task.CompletedTask;
    }

    public async Task PublishAsync(ReplyAddress address, OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(message);
        await _senders.SendAsync(address.Queue, ServiceBusMessages.ToServiceBus(message, address.SessionId), cancellationToken).ConfigureAwait(false);
    }

    public string? ValidateQueueName(string queue) => ServiceBusEntityNames.Check(queue);

    public Task ScheduleAsync(string queue, OutboundMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var scheduled = ServiceBusMessages.ToServiceBus(message);
        // The namespace holds a scheduled message durably and enqueues it at its time, whichever replica is alive then.
        return delay <= TimeSpan.Zero
            ? _senders.SendAsync(queue, scheduled, cancellationToken)
            : _senders.ScheduleAsync(queue, scheduled, DateTimeOffset.UtcNow + delay, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        // The host closes it at the end of the drain; the container disposes it again.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping = true;
        await _disposing.CancelAsync().ConfigureAwait(false);
        if (_stopReceiving.IsCompleted)
        {
            _stopReceiving = StopThenHandBackAsync();
        }

        await WithinAsync(_stopReceiving, s_stopTimeout).ConfigureAwait(false);
        await WithinAsync(StopAllAsync(_cancels), s_stopTimeout).ConfigureAwait(false);

        await _probing.ConfigureAwait(false);
        await _senders.DisposeAsync().ConfigureAwait(false);
        // Closing the connection releases whatever is still locked: the broker delivers it again after its lock.
        await _client.DisposeAsync().ConfigureAwait(false);
        _disposing.Dispose();
    }

    private async Task OnRequestAsync(ProcessMessageEventArgs args, IDeliveryHandler handler)
    {
        if (_stopping)
        {
            // Locked just as receiving stopped: hand it back to another replica.
            await SettleOrHandBackAsync(args, Settlement.Requeue).ConfigureAwait(false);
            return;
        }

        if (TryLeaveRecovering())
        {
            // A delivery is the best proof that receiving works again.
            LogReceivingAgain(_logger, Description);
        }

        // Raised when the lock expires (renewal failed, or ran past MaxLockRenewalSeconds): the delivery cannot be settled.
        using var lost = new CancellationTokenSource();
        args.MessageLockLostAsync += _ => CancelQuietly(lost);
        var settlement = await handler.HandleRequestAsync(ServiceBusMessages.ToInbound(args.Message, lost.Token)).ConfigureAwait(false);
        await SettleOrHandBackAsync(args, settlement).ConfigureAwait(false);
    }

    private async Task OnCallbackAsync(ProcessMessageEventArgs args, IDeliveryHandler handler)
    {
        if (_stopping)
        {
            await SettleOrHandBackAsync(args, Settlement.Requeue).ConfigureAwait(false);
            return;
        }

        using var lost = new CancellationTokenSource();
        args.MessageLockLostAsync += _ => CancelQuietly(lost);
        var settlement = await handler.HandleCallbackAsync(ServiceBusMessages.ToInbound(args.Message, lost.Token)).ConfigureAwait(false);
        await SettleOrHandBackAsync(args, settlement).ConfigureAwait(false);
    }

    /// <summary>
    /// A delivery returned while receiving stops is abandoned only once the processor's link is closed: until then the
    /// link may still hold credit from receives the stop cancelled, and Service Bus would hand the message straight back
    /// to this replica, which could only abandon it again (one more delivery counted, a higher attempt for nothing).
    /// </summary>
    private Task SettleOrHandBackAsync(ProcessMessageEventArgs args, Settlement settlement)
    {
        if (settlement.Kind != SettlementKind.Requeue || !_stopping)
        {
            return SettleAsync(args, settlement);
        }

        _handBack.Enqueue((args.EntityPath, args.Message));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Closes the request and callback processors, then abandons what was handed back meanwhile, by lock token. Closed,
    /// not only stopped: a stopped processor keeps its link open with the credit of the receives it cancelled, and the
    /// broker would send the abandoned message straight into it, where it would stay locked until its lock expired.
    /// </summary>
    private async Task StopThenHandBackAsync()
    {
        await Task.WhenAll(new[] { _requests, _callbacks }.OfType<ServiceBusProcessor>().Select(CloseQuietlyAsync)).ConfigureAwait(false);
        var receivers = new Dictionary<string, ServiceBusReceiver>(StringComparer.Ordinal);
        try
        {
            while (_handBack.TryDequeue(out var handed))
            {
                if (!receivers.TryGetValue(handed.Entity, out var receiver))
                {
                    receivers[handed.Entity] = receiver = _client.CreateReceiver(handed.Entity);
                }

                try
                {
                    // Not the link it arrived on (closed now): Service Bus settles it by lock token.
                    await receiver.AbandonMessageAsync(handed.Message, cancellationToken: CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is ServiceBusException or ObjectDisposedException or InvalidOperationException or TimeoutException)
                {
                    LogSettleFailed(_logger, handed.Message.MessageId, SettlementKind.Requeue, ServiceBusFailures.Describe(ex));
                }
            }
        }
        finally
        {
            foreach (var receiver in receivers.Values)
            {
                await receiver.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task SettleAsync(ProcessMessageEventArgs args, Settlement settlement)
    {
        var message = args.Message;
        try
        {
            // Not the processor's token: a delivery served during the drain must still be settled.
            switch (settlement.Kind)
            {
                case SettlementKind.Complete:
                    await args.CompleteMessageAsync(message, CancellationToken.None).ConfigureAwait(false);
                    break;
                case SettlementKind.Requeue:
                    await args.AbandonMessageAsync(message, cancellationToken: CancellationToken.None).ConfigureAwait(false);
                    break;
                default:
                    await args.DeadLetterMessageAsync(message, Clip(settlement.Reason ?? "dead_lettered"), Clip(settlement.Description ?? ""),
                        CancellationToken.None).ConfigureAwait(false);
                    break;
            }
        }
        catch (ServiceBusException ex) when (ex.Reason == ServiceBusFailureReason.MessageLockLost)
        {
            // Redelivered as a higher attempt once the lock runs out; after a final reply the client drops the repeat.
            LogLockLost(_logger, message.MessageId, settlement.Kind, message.DeliveryCount);
        }
        catch (Exception ex) when (ex is ServiceBusException or ObjectDisposedException or InvalidOperationException or TimeoutException)
        {
            LogSettleFailed(_logger, message.MessageId, settlement.Kind, ServiceBusFailures.Describe(ex));
        }
    }

    private Task OnErrorAsync(ProcessErrorEventArgs args)
    {
        // Lock renewals and settlements report here too; only a failing receive says something about the connection.
        if (args.ErrorSource != ServiceBusErrorSource.Receive || _stopping)
        {
            LogProcessorError(_logger, args.EntityPath, args.ErrorSource, ServiceBusFailures.Describe(args.Exception));
            return Task.CompletedTask;
        }

        var reason = $"receiving from {args.EntityPath} failed: {ServiceBusFailures.Describe(args.Exception)}";
        if (ServiceBusFailures.IsPermanent(args.Exception))
        {
            Fault(reason);
        }
        else
        {
            EnterRecovering(reason);
        }

        return Task.CompletedTask;
    }

    /// <summary>Peeks the request queue and the cancel subscription: null when both answer, else why not.</summary>
    private async Task<(string Reason, bool Permanent)?> ProbeAsync(CancellationToken cancellationToken)
    {
        (string Path, Func<ServiceBusReceiver> Open)[] entities =
        [
            ($"queue {_settings.RequestQueue}", () => _client.CreateReceiver(_settings.RequestQueue)),
            ($"subscription {_settings.CancelTopic}/{_options.CancelSubscription}", () => _client.CreateReceiver(_settings.CancelTopic, _options.CancelSubscription)),
            .. _settings.CallbackQueue is { } callbackQueue
                ? new (string, Func<ServiceBusReceiver>)[] { ($"callback queue {callbackQueue}", () => _client.CreateReceiver(callbackQueue)) }
                : [],
        ];
        foreach (var (path, open) in entities)
        {
            var receiver = open();
            try
            {
                // A peek locks nothing and needs only the Listen right the worker has anyway.
                await receiver.PeekMessageAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return ($"{path} in {_client.FullyQualifiedNamespace}: {ServiceBusFailures.Describe(ex)}", ServiceBusFailures.IsPermanent(ex));
            }
            finally
            {
                await receiver.DisposeAsync().ConfigureAwait(false);
            }
        }

        return null;
    }

    /// <summary>Probes with backoff until the entities answer again (Receiving) or refuse for good (Faulted).</summary>
    private async Task RecoverAsync()
    {
        var stop = _disposing.Token;
        for (var attempt = 0; ; attempt++)
        {
            var delay = TimeSpan.FromSeconds(Math.Min(s_maxProbeBackoff.TotalSeconds, Math.Pow(2, attempt)));
            LogRetrying(_logger, Description, _health.Reason ?? "", delay.TotalSeconds);
            try
            {
                await Task.Delay(delay, stop).ConfigureAwait(false);
                var problem = await ProbeAsync(stop).ConfigureAwait(false);
                if (problem is null)
                {
                    if (TryLeaveRecovering())
                    {
                        LogReceivingAgain(_logger, Description);
                    }

                    return;
                }

                if (problem.Value.Permanent)
                {
                    Fault(problem.Value.Reason);
                    return;
                }

                SetHealth(TransportState.Recovering, problem.Value.Reason);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private void EnterRecovering(string reason)
    {
        lock (_healthLock)
        {
            if (_health.State is TransportState.Recovering or TransportState.Faulted or TransportState.Stopped || _disposing.IsCancellationRequested)
            {
                // Every call slot reports the same outage; the probe loop logs each attempt once.
                LogStillRecovering(_logger, reason);
                return;
            }

            _health = TransportHealth.Now(TransportState.Recovering, reason);
            _probing = Task.Run(RecoverAsync, CancellationToken.None);
        }
    }

    private bool TryLeaveRecovering()
    {
        lock (_healthLock)
        {
            if (_health.State != TransportState.Recovering)
            {
                return false;
            }

            _health = TransportHealth.Now(TransportState.Receiving);
            return true;
        }
    }

    private void Fault(string reason)
    {
        lock (_healthLock)
        {
            if (_health.State == TransportState.Faulted)
            {
                return;
            }

            _health = TransportHealth.Now(TransportState.Faulted, reason);
        }

        LogFaulted(_logger, Description, reason);
        // The processors would retry a missing entity forever; the watchdog restarts the replica instead.
        _ = StopAllAsync(_requests, _cancels, _callbacks);
    }

    private void SetHealth(TransportState state, string? reason)
    {
        lock (_healthLock)
        {
            if (_health.State != TransportState.Faulted)
            {
                _health = TransportHealth.Now(state, reason);
            }
        }
    }

    private Task StopAllAsync(params ServiceBusProcessor?[] processors) =>
        Task.WhenAll(processors.OfType<ServiceBusProcessor>().Where(p => p.IsProcessing).Select(StopQuietlyAsync));

    private Task StopQuietlyAsync(ServiceBusProcessor processor) => QuietlyAsync(processor, p => p.StopProcessingAsync(CancellationToken.None));

    /// <summary>Stops the processor (its handlers return first) and closes its link.</summary>
    private Task CloseQuietlyAsync(ServiceBusProcessor processor) => QuietlyAsync(processor, p => p.CloseAsync(CancellationToken.None));

    private async Task QuietlyAsync(ServiceBusProcessor processor, Func<ServiceBusProcessor, Task> stop)
    {
        try
        {
            await stop(processor).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ServiceBusException or ObjectDisposedException or InvalidOperationException or TaskCanceledException)
        {
            LogStopFailed(_logger, processor.EntityPath, ServiceBusFailures.Describe(ex));
        }
    }

    private async Task WithinAsync(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogStopTimedOut(_logger, timeout.TotalSeconds);
        }
    }

    /// <summary>The SDK may raise lock-lost just as the handler returns and disposes the source.</summary>
    private static Task CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Settled already.
        }

        return Task.CompletedTask;
    }

    private static string Clip(string text) => text.Length <= MaxDeadLetterText ? text : text[..MaxDeadLetterText];

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Transport}: {Reason}; next check in {Seconds:F0} s.")]
    private static partial void LogRetrying(ILogger logger, string transport, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Still recovering: {Reason}")]
    private static partial void LogStillRecovering(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Transport}: receiving again.")]
    private static partial void LogReceivingAgain(ILogger logger, string transport);

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Transport}: {Reason}. Not retrying: fix the entity or the identity's rights; the worker exits when Transport:FaultedExitSeconds pass.")]
    private static partial void LogFaulted(ILogger logger, string transport, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Message {MessageId} (delivery {DeliveryCount}): lock lost before {Settlement}; Service Bus delivers it again.")]
    private static partial void LogLockLost(ILogger logger, string messageId, SettlementKind settlement, int deliveryCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId}: {Settlement} failed ({Reason}); it is delivered again when its lock runs out.")]
    private static partial void LogSettleFailed(ILogger logger, string messageId, SettlementKind settlement, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Entity}: {Source} failed: {Reason}")]
    private static partial void LogProcessorError(ILogger logger, string entity, ServiceBusErrorSource source, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Entity}: stopping the processor failed: {Reason}")]
    private static partial void LogStopFailed(ILogger logger, string entity, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Service Bus processors did not stop within {Seconds} s; closing the connection (unsettled messages return after their lock).")]
    private static partial void LogStopTimedOut(ILogger logger, double seconds);
}
