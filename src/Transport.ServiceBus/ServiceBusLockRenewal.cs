using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Transport.ServiceBus;

/// <summary>
/// Keeps one delivery's lock while it is served: renewed through the receiver that locked it shortly before each
/// expiry, for at most the renewal cap counted from the delivery. <see cref="Lost"/> fires when the lock cannot be kept:
/// Service Bus says it is gone, renewing keeps failing until it runs out, or the cap lets it run out.
/// </summary>
internal sealed partial class ServiceBusLockRenewal : IAsyncDisposable
{
    /// <summary>Renew this long before expiry at most (half the time left when that is shorter).</summary>
    private static readonly TimeSpan s_renewAhead = TimeSpan.FromSeconds(10);

    /// <summary>Pause after a failed renewal before the next try (half the time left when that is shorter).</summary>
    private static readonly TimeSpan s_retryPause = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _settled = new();
    private readonly CancellationTokenSource _lost = new();
    private readonly ILogger _logger;
    private readonly Task _renewing;

    public ServiceBusLockRenewal(ServiceBusReceiver receiver, ServiceBusReceivedMessage message, TimeSpan maxDuration, ILogger logger)
    {
        _logger = logger;
        _renewing = RenewAsync(receiver, message, DateTimeOffset.UtcNow + maxDuration);
    }

    /// <summary>Fires when the delivery can no longer be settled.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>Stops renewing (the delivery is settled or handed back).</summary>
    public async ValueTask DisposeAsync()
    {
        await _settled.CancelAsync().ConfigureAwait(false);
        await _renewing.ConfigureAwait(false);
        _settled.Dispose();
        _lost.Dispose();
    }

    private async Task RenewAsync(ServiceBusReceiver receiver, ServiceBusReceivedMessage message, DateTimeOffset renewUntil)
    {
        var settled = _settled.Token;
        try
        {
            while (true)
            {
                var lockedUntil = message.LockedUntil;
                var renewAt = lockedUntil - Shorter(s_renewAhead, lockedUntil - DateTimeOffset.UtcNow);
                if (renewAt >= renewUntil)
                {
                    // Past the cap: the lock runs out, and the delivery with it.
                    await Task.Delay(Until(lockedUntil), settled).ConfigureAwait(false);
                    LogCapReached(_logger, message.MessageId);
                    break;
                }

                await Task.Delay(Until(renewAt), settled).ConfigureAwait(false);
                if (await TryRenewAsync(receiver, message, settled).ConfigureAwait(false) is { } failure)
                {
                    if (failure.Final || message.LockedUntil <= DateTimeOffset.UtcNow)
                    {
                        LogLost(_logger, message.MessageId, failure.Reason);
                        break;
                    }

                    await Task.Delay(Shorter(s_retryPause, message.LockedUntil - DateTimeOffset.UtcNow), settled).ConfigureAwait(false);
                }
            }

            await _lost.CancelAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (settled.IsCancellationRequested)
        {
            // Settled or handed back: nothing more to keep.
        }
    }

    /// <summary>Null when renewed (the SDK moves <see cref="ServiceBusReceivedMessage.LockedUntil"/>), else why not and whether for good.</summary>
    private static async Task<(string Reason, bool Final)?> TryRenewAsync(ServiceBusReceiver receiver, ServiceBusReceivedMessage message, CancellationToken settled)
    {
        try
        {
            await receiver.RenewMessageLockAsync(message, settled).ConfigureAwait(false);
            return null;
        }
        catch (ServiceBusException ex) when (ex.Reason == ServiceBusFailureReason.MessageLockLost)
        {
            return (ServiceBusFailures.Describe(ex), true);
        }
        catch (Exception ex) when (ex is ServiceBusException or TimeoutException || (ex is ObjectDisposedException or InvalidOperationException && !settled.IsCancellationRequested))
        {
            // A closed receiver cannot renew again; anything else may pass.
            return (ServiceBusFailures.Describe(ex), ex is ObjectDisposedException);
        }
    }

    private static TimeSpan Shorter(TimeSpan limit, TimeSpan left) => left / 2 < limit ? Positive(left / 2) : limit;

    private static TimeSpan Until(DateTimeOffset moment) => Positive(moment - DateTimeOffset.UtcNow);

    private static TimeSpan Positive(TimeSpan span) => span > TimeSpan.Zero ? span : TimeSpan.Zero;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId}: its lock is lost ({Reason}); work on it stops and Service Bus delivers it again.")]
    private static partial void LogLost(ILogger logger, string messageId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId}: served past Transport:ServiceBus:MaxLockRenewalSeconds; its lock ran out and Service Bus delivers it again.")]
    private static partial void LogCapReached(ILogger logger, string messageId);
}
