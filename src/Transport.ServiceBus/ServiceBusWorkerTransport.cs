using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Transport.ServiceBus;

/// <summary>
/// The worker on Azure Service Bus. A receive loop over a ServiceBusReceiver takes requests in PeekLock without prefetch
/// only while the engine has free capacity (<see cref="ServiceBusRequestIntake"/>), so a replica locks no request it
/// cannot start; each lock is renewed through the same receiver while its request is served (up to
/// Transport:ServiceBus:MaxLockRenewalSeconds, <see cref="ServiceBusLockRenewal"/>), and the request is settled there as
/// the serving core says: complete, abandon (the entity's maxDeliveryCount dead-letters a message that keeps coming
/// back) or dead-letter with a reason. Replies go to
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

    /// <summary>First pause after a failed receive (the SDK has retried it already); it doubles up to 30 s.</summary>
    private static readonly TimeSpan s_receiveRetry = TimeSpan.FromSeconds(1);

    private readonly ServiceBusOptions _options;
    private readonly WorkerTransportSettings _settings;
    private readonly ILogger _logger;
    private readonly ServiceBusClient _client;
    private readonly ServiceBusSenders _senders;
    private readonly CancellationTokenSource _disposing = new();
    private readonly Lock _healthLock = new();
    private ServiceBusReceiver? _requests;
    private ServiceBusRequestIntake? _intake;
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
        var requests = _requests = _client.CreateReceiver(_settings.RequestQueue, new ServiceBusReceiverOptions
        {
            ReceiveMode = ServiceBusReceiveMode.PeekLock,
            // A prefetched message's lock is already ticking before anyone serves it.
            PrefetchCount = 0,
            Identifier = $"llmq-worker-{Environment.MachineName}-requests",
        });
        _intake = new ServiceBusRequestIntake(requests, _settings.MaxInFlight, capacity,
            message => ServeRequestAsync(requests, message, handler),
            message => _handBack.Enqueue((requests.EntityPath, message)),
            OnReceiveFailed);

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

        _intake.Start();
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
        // The intake's loop and the callback processor lock no new message from now on; the rest waits for every handler
        // to return, i.e. for the drain: started here, awaited when the transport is disposed.
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

    private async Task ServeRequestAsync(ServiceBusReceiver requests, ServiceBusReceivedMessage message, IDeliveryHandler handler)
    {
        if (TryLeaveRecovering())
        {
            // A delivery is the best proof that receiving works again.
            LogReceivingAgain(_logger, Description);
        }

        // Renewed until settled; Lost fires when the lock expires (renewal failed, or ran past MaxLockRenewalSeconds).
        await using var renewal = new ServiceBusLockRenewal(requests, message, TimeSpan.FromSeconds(_options.MaxLockRenewalSeconds), _logger);
        var settlement = await handler.HandleRequestAsync(ServiceBusMessages.ToInbound(message, renewal.Lost)).ConfigureAwait(false);
        await SettleOrHandBackAsync(ServiceBusSettler.Of(requests, message), settlement).ConfigureAwait(false);
    }

    private async Task OnCallbackAsync(ProcessMessageEventArgs args, IDeliveryHandler handler)
    {
        var settler = ServiceBusSettler.Of(args);
        if (_stopping)
        {
            await SettleOrHandBackAsync(settler, Settlement.Requeue).ConfigureAwait(false);
            return;
        }

        using var lost = new CancellationTokenSource();
        args.MessageLockLostAsync += _ => CancelQuietly(lost);
        var settlement = await handler.HandleCallbackAsync(ServiceBusMessages.ToInbound(args.Message, lost.Token)).ConfigureAwait(false);
        await SettleOrHandBackAsync(settler, settlement).ConfigureAwait(false);
    }

    /// <summary>
    /// A delivery returned while receiving stops is abandoned only once its link is closed: until then the link may
    /// still hold credit, and Service Bus would hand the message straight back to this replica, which could only abandon
    /// it again (one more delivery counted, a higher attempt for nothing).
    /// </summary>
    private Task SettleOrHandBackAsync(ServiceBusSettler settler, Settlement settlement)
    {
        if (settlement.Kind != SettlementKind.Requeue || !_stopping)
        {
            return SettleAsync(settler, settlement);
        }

        _handBack.Enqueue((settler.EntityPath, settler.Message));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops the request intake and closes its receiver once every request it took is settled, closes the callback
    /// processor, then abandons what was handed back meanwhile, by lock token. Closed, not only stopped: an open link may
    /// hold credit, and the broker would send the abandoned message straight into it, where it would stay locked until
    /// its lock expired.
    /// </summary>
    private async Task StopThenHandBackAsync()
    {
        await Task.WhenAll(CloseRequestsAsync(), _callbacks is { } callbacks ? CloseQuietlyAsync(callbacks) : Task.CompletedTask).ConfigureAwait(false);
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

    private async Task SettleAsync(ServiceBusSettler settler, Settlement settlement)
    {
        var message = settler.Message;
        try
        {
            switch (settlement.Kind)
            {
                case SettlementKind.Complete:
                    await settler.CompleteAsync().ConfigureAwait(false);
                    break;
                case SettlementKind.Requeue:
                    await settler.AbandonAsync().ConfigureAwait(false);
                    break;
                default:
                    await settler.DeadLetterAsync(Clip(settlement.Reason ?? "dead_lettered"), Clip(settlement.Description ?? "")).ConfigureAwait(false);
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

    /// <summary>The request intake's receive failed: recover (the intake retries after the pause returned) or fault.</summary>
    private TimeSpan? OnReceiveFailed(Exception exception)
    {
        if (_stopping)
        {
            LogProcessorError(_logger, _settings.RequestQueue, ServiceBusErrorSource.Receive, ServiceBusFailures.Describe(exception));
            return s_receiveRetry;
        }

        var reason = $"receiving from {_settings.RequestQueue} failed: {ServiceBusFailures.Describe(exception)}";
        if (ServiceBusFailures.IsPermanent(exception))
        {
            Fault(reason);
            return null;
        }

        EnterRecovering(reason);
        return s_receiveRetry;
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
        // The receivers would retry a missing entity forever; the watchdog restarts the replica instead.
        _ = StopAllAsync(_cancels, _callbacks);
        _ = _intake?.StopAsync();
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

    /// <summary>Stops the intake, waits until every request it took is settled or handed back, and closes its receiver.</summary>
    private async Task CloseRequestsAsync()
    {
        // Once: the drain stops receiving, and disposing the transport comes back here.
        if (Interlocked.Exchange(ref _intake, null) is not { } intake || _requests is not { } requests)
        {
            return;
        }

        await intake.StopAsync().ConfigureAwait(false);
        await intake.DrainAsync().ConfigureAwait(false);
        try
        {
            await requests.CloseAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ServiceBusException or ObjectDisposedException or InvalidOperationException or TaskCanceledException)
        {
            LogStopFailed(_logger, requests.EntityPath, ServiceBusFailures.Describe(ex));
        }

        intake.Dispose();
    }

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
