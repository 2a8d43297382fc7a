using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Transport.RabbitMq;

/// <summary>
/// The worker on RabbitMQ. Consumes the request queue with manual acks on one connection; publishes replies (default
/// exchange, routing key = the client's queue, confirmed, mandatory) and dead-letter copies on another. Never declares a
/// client's queue. Recovers by itself: when the consuming connection or channel dies, the deliveries it held are
/// marked lost (the broker delivers them again) and the transport reconnects with backoff, logging each attempt.
/// </summary>
public sealed partial class RabbitMqWorkerTransport : IWorkerTransport, IReplyPublisher
{
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(30);

    private readonly RabbitMqOptions _options;
    private readonly WorkerTransportSettings _settings;
    private readonly ILogger _logger;
    private readonly RabbitMqPublisher _publisher;
    private readonly CancellationTokenSource _stopReceiving = new();
    private readonly TaskCompletionSource _firstOutcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _run = Task.CompletedTask;
    private volatile ConsumeSession? _session;
    private volatile TransportHealth _health = TransportHealth.Now(TransportState.Starting);
    private int _disposed;

    public RabbitMqWorkerTransport(RabbitMqOptions options, WorkerTransportSettings settings, ILogger<RabbitMqWorkerTransport> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _settings = settings;
        _logger = logger;
        _publisher = new RabbitMqPublisher(options, $"llmq-worker {Environment.MachineName} replies");
    }

    /// <summary>How long <see cref="StartAsync"/> waits for the first connection before leaving it to the background.</summary>
    public TimeSpan StartWait { get; init; } = TimeSpan.FromSeconds(15);

    public string Description => $"RabbitMQ {_options.Host}:{_options.Port}{_options.VirtualHost}, queue {_settings.RequestQueue}";

    public IReplyPublisher Replies => this;

    public TransportHealth Health => _health;

    public bool FansOutCancels => true;

    public async Task StartAsync(IDeliveryHandler handler, ITransportCapacity capacity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _run = Task.Run(() => RunAsync(handler), CancellationToken.None);
        // Usually connected at once; if the broker is down the worker starts anyway (not ready) and keeps trying.
        try
        {
            await _firstOutcome.Task.WaitAsync(StartWait, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogStillConnecting(_logger, Description);
        }
    }

    public async Task StopReceivingAsync(CancellationToken cancellationToken)
    {
        await _stopReceiving.CancelAsync().ConfigureAwait(false);
        if (_session is { } session)
        {
            await session.StopConsumingAsync(cancellationToken).ConfigureAwait(false);
        }

        _health = TransportHealth.Now(TransportState.Stopped, "stopped receiving");
    }

    public Task PublishAsync(ReplyAddress address, OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        return _publisher.PublishAsync("", address.Queue, message, cancellationToken);
    }

    public string? ValidateQueueName(string queue) => QueueNames.Check(queue, 255);

    public Task ScheduleAsync(string queue, OutboundMessage message, TimeSpan delay, CancellationToken cancellationToken) =>
        delay <= TimeSpan.Zero
            ? _publisher.PublishAsync("", queue, message, cancellationToken)
            : _publisher.PublishAsync("", RabbitMqTopology.WaitQueue(queue, delay), message, cancellationToken, expiration: delay);

    /// <summary>RabbitMQ's dead-lettering cannot add a reason: a copy with the reason in headers goes to the error queue instead.</summary>
    private Task DeadLetterCopyAsync(string errorQueue, InboundMessage message, string reason, string description, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var headers = new Dictionary<string, string>(message.Headers, StringComparer.Ordinal)
        {
            [MessageHeaders.DeadLetterReason] = reason,
            [MessageHeaders.DeadLetterDescription] = description,
        };
        var copy = new OutboundMessage
        {
            Body = message.Body,
            ContentType = message.ContentType ?? "",
            MessageType = message.Headers.GetValueOrDefault(MessageHeaders.MessageType, "GenerateRequest"),
            MessageId = message.MessageId,
            ReplyTo = message.ReplyTo,
            Headers = headers,
        };
        return _publisher.PublishAsync("", errorQueue, copy, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        // The host closes it at the end of the drain; the container disposes it again.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopReceiving.CancelAsync().ConfigureAwait(false);
        await _run.ConfigureAwait(false);
        if (_session is { } session)
        {
            // Unsettled deliveries go back to the queue when the channel closes.
            await session.DisposeAsync().ConfigureAwait(false);
        }

        await _publisher.DisposeAsync().ConfigureAwait(false);
        _stopReceiving.Dispose();
    }

    private async Task RunAsync(IDeliveryHandler handler)
    {
        var stop = _stopReceiving.Token;
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            ConsumeSession? session = null;
            string reason;
            try
            {
                session = await ConsumeSession.OpenAsync(_options, _settings, handler, this, stop).ConfigureAwait(false);
                _session = session;
                if (failures > 0)
                {
                    LogReconnected(_logger, Description);
                }

                failures = 0;
                _health = TransportHealth.Now(TransportState.Receiving);
                _firstOutcome.TrySetResult();
                reason = await session.Closed.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Stopping: the session stays open so in-flight deliveries can still be settled; DisposeAsync closes it.
                return;
            }
            catch (Exception ex) when (IsPermanent(ex))
            {
                reason = Describe(ex);
                _health = TransportHealth.Now(TransportState.Faulted, reason);
                _firstOutcome.TrySetResult();
            }
            catch (Exception ex) when (ex is BrokerUnreachableException or OperationInterruptedException or AlreadyClosedException or IOException
                or TimeoutException or System.Net.Sockets.SocketException)
            {
                reason = Describe(ex);
            }

            if (session is not null)
            {
                await session.DisposeAsync().ConfigureAwait(false);
            }

            if (_health.State != TransportState.Faulted)
            {
                _health = TransportHealth.Now(TransportState.Recovering, reason);
            }

            var delay = TimeSpan.FromSeconds(Math.Min(s_maxBackoff.TotalSeconds, Math.Pow(2, failures++)));
            LogRetrying(_logger, Description, reason, delay.TotalSeconds, DateTimeOffset.UtcNow + delay);
            try
            {
                await Task.Delay(delay, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Refusals that retrying will not cure: the operator must change the broker or the configuration.</summary>
    private static bool IsPermanent(Exception ex) => ex switch
    {
        OperationInterruptedException interrupted => interrupted.ShutdownReason?.ReplyCode is 403 or 406 or 530,
        BrokerUnreachableException { InnerException: AuthenticationFailureException } => true,
        _ => false,
    };

    private static string Describe(Exception ex) => ex switch
    {
        OperationInterruptedException { ShutdownReason: { } reason } when reason.ReplyCode == 406 =>
            $"the broker refused a declaration ({reason.ReplyText}); a queue or exchange exists with other arguments: delete it or use another name",
        OperationInterruptedException { ShutdownReason: { } reason } => $"{reason.ReplyCode} {reason.ReplyText}",
        BrokerUnreachableException { InnerException: AuthenticationFailureException inner } => $"login refused ({inner.Message})",
        BrokerUnreachableException { InnerException: { } inner } => $"unreachable ({inner.Message})",
        _ => ex.Message,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Transport}: {Reason}; next connection attempt in {Seconds:F0} s (at {RetryAt:HH:mm:ss} UTC).")]
    private static partial void LogRetrying(ILogger logger, string transport, string reason, double seconds, DateTimeOffset retryAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Transport}: connected again.")]
    private static partial void LogReconnected(ILogger logger, string transport);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Transport}: not connected yet; the worker starts and keeps trying (not ready until connected).")]
    private static partial void LogStillConnecting(ILogger logger, string transport);

    /// <summary>One consuming connection: the request consumer, the cancel consumer, and the deliveries in flight on it.</summary>
    private sealed class ConsumeSession : IAsyncDisposable
    {
        private readonly IConnection _connection;
        private readonly CancellationTokenSource _lost = new();
        private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        /// <summary>Callback deliveries held at once (each is one HTTP POST).</summary>
        private const ushort CallbackPrefetch = 8;

        private IChannel _requests = null!;
        private IChannel? _callbacks;
        private string? _consumerTag;
        private string? _callbackConsumerTag;
        private volatile bool _stopping;

        private ConsumeSession(IConnection connection) => _connection = connection;

        /// <summary>Completes with a reason when the connection, the channel or the consumer goes away unasked.</summary>
        public Task<string> Closed => _closed.Task;

        public static async Task<ConsumeSession> OpenAsync(
            RabbitMqOptions options, WorkerTransportSettings settings, IDeliveryHandler handler, RabbitMqWorkerTransport owner, CancellationToken cancellationToken)
        {
            var connection = await options.CreateFactory($"llmq-worker {Environment.MachineName}").CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
            var session = new ConsumeSession(connection);
            try
            {
                await session.StartAsync(settings, handler, owner, cancellationToken).ConfigureAwait(false);
                return session;
            }
            catch
            {
                await session.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        public async Task StopConsumingAsync(CancellationToken cancellationToken)
        {
            _stopping = true;
            await CancelConsumerAsync(_requests, _consumerTag, cancellationToken).ConfigureAwait(false);
            await CancelConsumerAsync(_callbacks, _callbackConsumerTag, cancellationToken).ConfigureAwait(false);
        }

        private static async Task CancelConsumerAsync(IChannel? channel, string? consumerTag, CancellationToken cancellationToken)
        {
            if (channel is { IsOpen: true } && consumerTag is not null)
            {
                try
                {
                    await channel.BasicCancelAsync(consumerTag, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException)
                {
                    // The channel is gone: nothing is consumed anyway.
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stopping = true;
            try
            {
                if (_connection.IsOpen)
                {
                    await _connection.CloseAsync().ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or IOException)
            {
                // Already failing.
            }

            // Not disposed: deliveries still in flight may link to its token.
            _lost.Cancel();
            _connection.Dispose();
        }

        private async Task StartAsync(WorkerTransportSettings settings, IDeliveryHandler handler, RabbitMqWorkerTransport owner, CancellationToken cancellationToken)
        {
            _connection.ConnectionShutdownAsync += (_, e) => Close($"connection closed ({e.ReplyCode} {e.ReplyText})");
            _requests = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            _requests.ChannelShutdownAsync += (_, e) => Close($"channel closed ({e.ReplyCode} {e.ReplyText})");
            await RabbitMqTopology.DeclareWorkerAsync(_requests, settings, cancellationToken).ConfigureAwait(false);
            await _requests.BasicQosAsync(0, (ushort)Math.Clamp(settings.MaxInFlight, 1, ushort.MaxValue), global: false, cancellationToken).ConfigureAwait(false);

            var cancels = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            cancels.ChannelShutdownAsync += (_, e) => Close($"cancel channel closed ({e.ReplyCode} {e.ReplyText})");
            var cancelQueue = await cancels.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            await cancels.QueueBindAsync(cancelQueue.QueueName, settings.CancelTopic, "", cancellationToken: cancellationToken).ConfigureAwait(false);
            var cancelConsumer = new AsyncEventingBasicConsumer(cancels);
            cancelConsumer.ReceivedAsync += (_, delivery) =>
            {
                handler.HandleCancel(AmqpProperties.ToInbound(delivery.BasicProperties, delivery.Body, delivery.Redelivered, CancellationToken.None));
                return Task.CompletedTask;
            };
            await cancels.BasicConsumeAsync(cancelQueue.QueueName, autoAck: true, cancelConsumer, cancellationToken).ConfigureAwait(false);

            _consumerTag = await ConsumeAsync(_requests, settings.RequestQueue, settings.ErrorQueue, handler.HandleRequestAsync, owner, cancellationToken)
                .ConfigureAwait(false);
            if (settings.CallbackQueue is { } callbackQueue)
            {
                _callbacks = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                _callbacks.ChannelShutdownAsync += (_, e) => Close($"callback channel closed ({e.ReplyCode} {e.ReplyText})");
                await _callbacks.BasicQosAsync(0, CallbackPrefetch, global: false, cancellationToken).ConfigureAwait(false);
                _callbackConsumerTag = await ConsumeAsync(_callbacks, callbackQueue, settings.CallbackErrorQueue!, handler.HandleCallbackAsync, owner, cancellationToken)
                    .ConfigureAwait(false);
            }
        }

        private Task<string> ConsumeAsync(
            IChannel channel, string queue, string errorQueue, Func<InboundMessage, Task<Settlement>> handle, RabbitMqWorkerTransport owner, CancellationToken cancellationToken)
        {
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, delivery) =>
            {
                var message = AmqpProperties.ToInbound(delivery.BasicProperties, delivery.Body, delivery.Redelivered, _lost.Token);
                var tag = delivery.DeliveryTag;
                // Serve concurrently; the consumer's dispatch loop must not wait for a generation.
                _ = Task.Run(async () =>
                {
                    var settlement = await handle(message).ConfigureAwait(false);
                    await SettleAsync(channel, errorQueue, tag, message, settlement, owner).ConfigureAwait(false);
                }, CancellationToken.None);
                return Task.CompletedTask;
            };
            consumer.UnregisteredAsync += (_, _) => _stopping ? Task.CompletedTask : Close($"the broker cancelled the consumer of {queue} (was the queue deleted?)");
            return channel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken);
        }

        private async Task SettleAsync(IChannel channel, string errorQueue, ulong tag, InboundMessage message, Settlement settlement, RabbitMqWorkerTransport owner)
        {
            if (_lost.IsCancellationRequested || !channel.IsOpen)
            {
                // The channel that delivered it is gone: the broker has already put it back.
                return;
            }

            try
            {
                switch (settlement.Kind)
                {
                    case SettlementKind.Complete:
                        await channel.BasicAckAsync(tag, multiple: false).ConfigureAwait(false);
                        break;
                    case SettlementKind.Requeue:
                        await channel.BasicNackAsync(tag, multiple: false, requeue: true).ConfigureAwait(false);
                        break;
                    default:
                        await DeadLetterAsync(channel, errorQueue, tag, message, settlement, owner).ConfigureAwait(false);
                        break;
                }
            }
            catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or IOException)
            {
                // Lost with its channel; the broker redelivers it.
            }
        }

        private static async Task DeadLetterAsync(IChannel channel, string errorQueue, ulong tag, InboundMessage message, Settlement settlement, RabbitMqWorkerTransport owner)
        {
            try
            {
                await owner.DeadLetterCopyAsync(errorQueue, message, settlement.Reason ?? "dead_lettered", settlement.Description ?? "", CancellationToken.None)
                    .ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The copy did not reach the error queue: keep the original; it comes back as a higher attempt.
                await channel.BasicNackAsync(tag, multiple: false, requeue: true).ConfigureAwait(false);
                return;
            }

            await channel.BasicAckAsync(tag, multiple: false).ConfigureAwait(false);
        }

        private Task Close(string reason)
        {
            // Whatever closed, the deliveries on this session can no longer be settled: stop working on them.
            _lost.Cancel();
            if (!_stopping)
            {
                _closed.TrySetResult(reason);
            }

            return Task.CompletedTask;
        }
    }
}
