using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using LlmQueue.Transport;

namespace LlmQueue.Serving.Callbacks;

/// <summary>One signed POST of a callback delivery (Standard Webhooks headers), and what came of it.</summary>
public sealed class CallbackSender(HttpClient http, CallbackOptions options, TimeProvider time, CallbackMetrics metrics)
{
    private readonly byte[][] _keys = [.. options.Secrets.Select(s => WebhookSignature.ParseSecret(s)!)];

    /// <summary>Callbacks are signed; with no secret configured the worker accepts none.</summary>
    public bool Enabled => _keys.Length > 0;

    /// <summary>Null when <paramref name="url"/> can be a callback target as written, else why not (the address is checked again at connect).</summary>
    public string? CheckUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return "callback.url must be an absolute http(s) URL";
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !options.AllowHttp)
        {
            return "callback.url must use https (this worker does not allow http callbacks)";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "callback.url must not carry credentials";
        }

        return !options.AllowPrivateNetworks && IPAddress.TryParse(uri.IdnHost, out var literal) && NetworkGuard.Refusal(literal) is { } refusal
            ? $"callback.url points to {refusal}, which this worker does not call"
            : null;
    }

    public async Task<CallbackOutcome> SendAsync(CallbackDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (CheckUrl(delivery.Url) is { } problem)
        {
            return Record(new CallbackOutcome(CallbackResult.Refused, problem), 0);
        }

        var body = Encoding.UTF8.GetBytes(delivery.Body);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(ContractCodec.JsonContentType);
        request.Headers.Add(WebhookSignature.IdHeader, delivery.WebhookId);
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookSignature.SignatureHeader, string.Join(' ', _keys.Select(key => WebhookSignature.Sign(key, delivery.WebhookId, timestamp, body))));
        request.Headers.Add("llmq-event", delivery.Event);
        request.Headers.Add(MessageHeaders.MessageType, delivery.MessageType);
        request.Headers.UserAgent.ParseAdd("llmq-worker/1");

        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var outcome = status switch
            {
                >= 200 and < 300 => new CallbackOutcome(CallbackResult.Delivered, $"HTTP {status}"),
                410 => new CallbackOutcome(CallbackResult.Gone, "HTTP 410 Gone"),
                _ => new CallbackOutcome(CallbackResult.Failed, $"HTTP {status}"),
            };
            return Record(outcome, started);
        }
        catch (HttpRequestException ex) when (FindRefusal(ex) is { } refused)
        {
            return Record(new CallbackOutcome(CallbackResult.Refused, refused.Message), started);
        }
        catch (HttpRequestException ex)
        {
            return Record(new CallbackOutcome(CallbackResult.Failed, ex.Message), started);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Record(new CallbackOutcome(CallbackResult.Failed, $"no answer within {options.TimeoutSeconds} s"), started);
        }
    }

    private CallbackOutcome Record(CallbackOutcome outcome, long started)
    {
        metrics.Attempted(outcome.Result, started == 0 ? null : Stopwatch.GetElapsedTime(started));
        return outcome;
    }

    private static CallbackRefusedException? FindRefusal(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is CallbackRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }
}
