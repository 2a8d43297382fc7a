using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LlmQueue.Transport;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Serving.Callbacks;

/// <summary>
/// Delivers results to callback URLs: the first attempt right after the result, then retries from a durable queue
/// with exponential backoff and jitter until Callbacks:RetryPeriodSeconds has passed since the first attempt. A
/// request is settled once its callback was delivered or its retry is in the queue.
/// </summary>
public sealed partial class CallbackDispatcher(
    CallbackSender sender, IWorkerTransport transport, CallbackOptions options, TimeProvider time, CallbackMetrics metrics, ILogger<CallbackDispatcher> logger)
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    public bool Enabled => sender.Enabled;

    /// <summary>Null when <paramref name="url"/> can be a callback target here, else why not.</summary>
    public string? CheckUrl(string url) => sender.Enabled ? sender.CheckUrl(url) : "this worker has no callback signing secret configured (Callbacks:Secrets), so it takes no callbacks";

    /// <summary>The stable Standard Webhooks id of one result of one request.</summary>
    public static string WebhookId(string requestId, string callbackEvent) =>
        "msg_" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes($"{requestId}\n{callbackEvent}")))[..24].Replace('+', '-').Replace('/', '_');

    /// <summary>The first attempt; a failure is handed to the retry queue before this returns.</summary>
    public async Task<CallbackOutcome> DeliverAsync(CallbackDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var outcome = await sender.SendAsync(delivery, cancellationToken).ConfigureAwait(false);
        if (outcome.Result == CallbackResult.Failed)
        {
            await ScheduleRetryAsync(delivery with { Attempts = 1 }, outcome, cancellationToken).ConfigureAwait(false);
        }

        return outcome;
    }

    /// <summary>A delivery back from the retry queue.</summary>
    public async Task<Settlement> HandleRetryAsync(InboundMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        CallbackDelivery? delivery;
        try
        {
            delivery = JsonSerializer.Deserialize<CallbackDelivery>(message.Body.Span, s_json);
        }
        catch (JsonException ex)
        {
            return Settlement.DeadLetter("malformed_callback", ex.Message);
        }

        if (delivery is null)
        {
            return Settlement.DeadLetter("malformed_callback", "The retry message is JSON null.");
        }

        var outcome = await sender.SendAsync(delivery, message.Lost).ConfigureAwait(false);
        var attempts = delivery.Attempts + 1;
        switch (outcome.Result)
        {
            case CallbackResult.Delivered or CallbackResult.Gone:
                LogDeliveredLate(logger, delivery.RequestId, delivery.Url, attempts, outcome.Detail);
                return Settlement.Complete;
            case CallbackResult.Refused:
                metrics.Abandoned();
                return Settlement.DeadLetter("callback_refused", outcome.Detail);
            default:
                if (time.GetUtcNow() - delivery.FirstAttemptAt >= TimeSpan.FromSeconds(options.RetryPeriodSeconds))
                {
                    metrics.Abandoned();
                    LogGaveUp(logger, delivery.RequestId, delivery.Url, attempts, outcome.Detail);
                    return Settlement.DeadLetter("callback_expired", $"{attempts} attempts over {options.RetryPeriodSeconds} s; last: {outcome.Detail}");
                }

                try
                {
                    await ScheduleRetryAsync(delivery with { Attempts = attempts }, outcome, message.Lost).ConfigureAwait(false);
                    return Settlement.Complete;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The next retry did not reach the broker: this one goes back instead.
                    return Settlement.Requeue;
                }
        }
    }

    /// <summary>Backoff after <paramref name="attempts"/> failed attempts: first × 2^(attempts-1), capped, ±20% jitter.</summary>
    public TimeSpan RetryDelay(int attempts)
    {
        var seconds = Math.Min(options.MaxRetryDelaySeconds, options.FirstRetrySeconds * Math.Pow(2, Math.Min(30, attempts - 1)));
        return TimeSpan.FromSeconds(seconds * (0.8 + (0.4 * Random.Shared.NextDouble())));
    }

    private async Task ScheduleRetryAsync(CallbackDelivery delivery, CallbackOutcome outcome, CancellationToken cancellationToken)
    {
        var delay = RetryDelay(delivery.Attempts);
        var message = new OutboundMessage
        {
            Body = JsonSerializer.SerializeToUtf8Bytes(delivery, s_json),
            ContentType = ContractCodec.JsonContentType,
            MessageType = nameof(CallbackDelivery),
            MessageId = $"{delivery.WebhookId}-{delivery.Attempts}",
            CorrelationId = delivery.RequestId,
        };
        await transport.ScheduleAsync(options.RetryQueue, message, delay, cancellationToken).ConfigureAwait(false);
        LogRetryScheduled(logger, delivery.RequestId, delivery.Url, delivery.Attempts, outcome.Detail, delay.TotalSeconds);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback for {RequestId} to {Url} failed on attempt {Attempts} ({Reason}); next attempt in {Seconds:F0} s.")]
    private static partial void LogRetryScheduled(ILogger logger, string requestId, string url, int attempts, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Callback for {RequestId} to {Url} answered on attempt {Attempts} ({Detail}).")]
    private static partial void LogDeliveredLate(ILogger logger, string requestId, string url, int attempts, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "Callback for {RequestId} to {Url} still failing after {Attempts} attempts ({Reason}); dead-lettered.")]
    private static partial void LogGaveUp(ILogger logger, string requestId, string url, int attempts, string reason);
}
