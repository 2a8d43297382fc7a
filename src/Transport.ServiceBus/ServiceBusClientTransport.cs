using Azure.Messaging.ServiceBus;

namespace LlmQueue.Transport.ServiceBus;

/// <summary>
/// A producer on Azure Service Bus. Requests go to the request queue with ReplyTo = the session-enabled reply queue and
/// ReplyToSessionId = a session of this client's own; a session receiver holds that session and reads the replies in
/// the order they were sent; cancels go to the cancel topic. The queues and the topic are the deployment's (Service
/// Bus data rights cannot create entities).
/// </summary>
public sealed class ServiceBusClientTransport : IClientTransport
{
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(30);

    // Completions of handed-on replies in flight at once on the reply session.
    private const int MaxCompleting = 64;

    private readonly ServiceBusClient _client;
    private readonly ServiceBusSenders _senders;
    private readonly string _requestQueue;
    private readonly string _cancelTopic;
    private readonly CancellationTokenSource _stop = new();
    private Task _receiving = Task.CompletedTask;

    /// <param name="sessionPrefix">Prefix of this client's reply session id; a GUID follows it.</param>
    public ServiceBusClientTransport(ServiceBusOptions options, string requestQueue, string cancelTopic, string sessionPrefix)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = ServiceBusConnection.CreateClient(options, $"llmq-client-{Environment.MachineName}");
        _senders = new ServiceBusSenders(_client, capacity: 2);
        _requestQueue = requestQueue;
        _cancelTopic = cancelTopic;
        ReplyAddress = new ReplyAddress(options.ReplyQueue, SessionId(sessionPrefix));
    }

    public ReplyAddress ReplyAddress { get; }

    public async Task StartAsync(Func<InboundMessage, Task> onReply, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onReply);
        // Taken here so a missing reply queue or a missing right fails the start, not the first request.
        var receiver = await AcceptAsync(cancellationToken).ConfigureAwait(false);
        _receiving = Task.Run(() => ReceiveAsync(receiver, onReply), CancellationToken.None);
    }

    public async Task SendRequestAsync(OutboundMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var message = ServiceBusMessages.ToServiceBus(request with { ReplyTo = ReplyAddress.Queue, ReplyToSessionId = ReplyAddress.SessionId });
        // The request id as MessageId: with duplicate detection on the queue, a send retried after a timeout is dropped.
        if (request.CorrelationId is { Length: > 0 and <= ServiceBusMessages.MaxIdLength } requestId)
        {
            message.MessageId = requestId;
        }

        try
        {
            await _senders.SendAsync(_requestQueue, message, cancellationToken).ConfigureAwait(false);
        }
        catch (ReplyUndeliverableException ex)
        {
            throw new InvalidOperationException($"Service Bus refused the request queue '{_requestQueue}': {ex.Message}", ex);
        }
    }

    public async Task PublishCancelAsync(OutboundMessage cancel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cancel);
        try
        {
            await _senders.SendAsync(_cancelTopic, ServiceBusMessages.ToServiceBus(cancel), cancellationToken).ConfigureAwait(false);
        }
        catch (ReplyUndeliverableException ex)
        {
            throw new InvalidOperationException($"Service Bus refused the cancel topic '{_cancelTopic}': {ex.Message}", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _receiving.ConfigureAwait(false);
        await _senders.DisposeAsync().ConfigureAwait(false);
        await _client.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>Service Bus session ids are at most 128 characters.</summary>
    private static string SessionId(string prefix)
    {
        var suffix = $"-{Guid.NewGuid():N}";
        return (prefix.Length + suffix.Length <= ServiceBusMessages.MaxIdLength ? prefix : prefix[..(ServiceBusMessages.MaxIdLength - suffix.Length)]) + suffix;
    }

    private Task<ServiceBusSessionReceiver> AcceptAsync(CancellationToken cancellationToken) =>
        _client.AcceptSessionAsync(ReplyAddress.Queue, ReplyAddress.SessionId, new ServiceBusSessionReceiverOptions
        {
            // PeekLock: a reply is removed only after it was handed on. Prefetched replies are locked with the session
            // and come back to the next reader if this one goes away, so prefetching loses nothing.
            ReceiveMode = ServiceBusReceiveMode.PeekLock,
            PrefetchCount = 64,
        }, cancellationToken);

    /// <summary>Reads the session until disposed; a lost session lock or connection is taken again with backoff.</summary>
    private async Task ReceiveAsync(ServiceBusSessionReceiver? receiver, Func<InboundMessage, Task> onReply)
    {
        var stop = _stop.Token;
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                receiver ??= await AcceptAsync(stop).ConfigureAwait(false);
                failures = 0;
                using var session = CancellationTokenSource.CreateLinkedTokenSource(stop);
                var renewing = RenewAsync(receiver, session);
                try
                {
                    await DeliverAsync(receiver, onReply, session.Token).ConfigureAwait(false);
                }
                finally
                {
                    await session.CancelAsync().ConfigureAwait(false);
                    await renewing.ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (!stop.IsCancellationRequested
                && ex is ServiceBusException or UnauthorizedAccessException or TimeoutException or ObjectDisposedException or OperationCanceledException)
            {
                // Replies not yet completed are delivered again to the next reader of the session; nothing is lost.
                failures++;
            }
            catch (OperationCanceledException)
            {
                // Disposed.
            }

            if (receiver is not null)
            {
                await receiver.DisposeAsync().ConfigureAwait(false);
                receiver = null;
            }

            if (failures > 0)
            {
                await DelayAsync(TimeSpan.FromSeconds(Math.Min(s_maxBackoff.TotalSeconds, Math.Pow(2, failures - 1))), stop).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Hands each reply on in session order, then completes it: a reply is removed only once handed on, so a session
    /// lost in between delivers it again (the client drops repeats by attempt and seq). One reply per receive: asked for
    /// several, a session receiver waits 20 ms past the first for more and then drains the link's credit (a round trip)
    /// whenever fewer came, which every reply paid as latency when replies trickle. Prefetched replies come straight
    /// from the receiver's buffer. Completions overlap the next receives, up to <see cref="MaxCompleting"/> at a time.
    /// </summary>
    private static async Task DeliverAsync(ServiceBusSessionReceiver receiver, Func<InboundMessage, Task> onReply, CancellationToken cancellationToken)
    {
        var completing = new List<Task>(MaxCompleting);
        try
        {
            while (true)
            {
                // Waits up to the client's try timeout for the next reply, then asks again.
                var message = await receiver.ReceiveMessageAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                if (message is not null)
                {
                    await onReply(ServiceBusMessages.ToInbound(message, CancellationToken.None)).ConfigureAwait(false);
                    completing.Add(receiver.CompleteMessageAsync(message, cancellationToken));
                }

                // A failed completion ends the session (its replies come again to the next reader).
                completing.RemoveAll(task => task.IsCompletedSuccessfully);
                if (message is null || completing.Count >= MaxCompleting || completing.Exists(task => task.IsCompleted))
                {
                    await Task.WhenAll(completing).ConfigureAwait(false);
                    completing.Clear();
                }
            }
        }
        finally
        {
            await EndCompletionsAsync(completing).ConfigureAwait(false);
        }
    }

    /// <summary>Lets completions still in flight end before the session's receiver goes; their outcome no longer matters.</summary>
    private static async Task EndCompletionsAsync(List<Task> completing)
    {
        try
        {
            await Task.WhenAll(completing).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ServiceBusException or ObjectDisposedException or OperationCanceledException)
        {
            // The session is being left: an uncompleted reply is delivered again to its next reader and dropped there
            // as a repeat.
        }
    }

    /// <summary>Renews the session lock at half its remaining time; a failure ends the session (the reader takes it again).</summary>
    private static async Task RenewAsync(ServiceBusSessionReceiver receiver, CancellationTokenSource session)
    {
        try
        {
            while (true)
            {
                var remaining = receiver.SessionLockedUntil - DateTimeOffset.UtcNow;
                await Task.Delay(remaining > TimeSpan.FromSeconds(1) ? remaining / 2 : TimeSpan.Zero, session.Token).ConfigureAwait(false);
                await receiver.RenewSessionLockAsync(session.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (session.IsCancellationRequested)
        {
            // The session ended.
        }
        catch (Exception ex) when (ex is ServiceBusException or ObjectDisposedException or TimeoutException)
        {
            // The receive fails with the lock; cancelling makes sure it does not wait out its timeout first.
            await session.CancelAsync().ConfigureAwait(false);
        }
    }

    private static async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Disposed while waiting.
        }
    }
}
