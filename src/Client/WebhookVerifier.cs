using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LlmQueue.Transport;

namespace LlmQueue.Client;

/// <summary>
/// Checks a result callback the worker sent (Standard Webhooks): the signature over "{id}.{timestamp}.{body}" with one
/// of the shared "whsec_" secrets, and a timestamp close to now (a replayed old request is refused). Use the raw body
/// bytes as received, before any JSON parsing.
/// </summary>
public sealed class WebhookVerifier
{
    private readonly byte[][] _keys;
    private readonly TimeSpan _tolerance;
    private readonly TimeProvider _time;

    /// <param name="secrets">The secrets the workers sign with (several during a rotation).</param>
    /// <param name="tolerance">How far the timestamp may be from now either way (default 5 minutes).</param>
    public WebhookVerifier(IEnumerable<string> secrets, TimeSpan? tolerance = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        _keys = [.. secrets.Select(s => WebhookSignature.ParseSecret(s) ?? throw new ArgumentException($"'{s[..Math.Min(6, s.Length)]}…' is not a whsec_ secret.", nameof(secrets)))];
        if (_keys.Length == 0)
        {
            throw new ArgumentException("At least one secret is needed.", nameof(secrets));
        }

        _tolerance = tolerance ?? TimeSpan.FromMinutes(5);
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Throws <see cref="WebhookVerificationException"/> naming the problem when the callback is not authentic.</summary>
    public void Verify(string? webhookId, string? webhookTimestamp, string? webhookSignature, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(webhookId) || string.IsNullOrEmpty(webhookTimestamp) || string.IsNullOrEmpty(webhookSignature))
        {
            throw new WebhookVerificationException("A webhook-id, webhook-timestamp or webhook-signature header is missing.");
        }

        if (!long.TryParse(webhookTimestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp))
        {
            throw new WebhookVerificationException("webhook-timestamp is not a number of seconds.");
        }

        var age = _time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(timestamp);
        if (age.Duration() > _tolerance)
        {
            throw new WebhookVerificationException($"webhook-timestamp is {age.TotalSeconds:F0} s from now; at most {_tolerance.TotalSeconds:F0} s are accepted.");
        }

        var offered = webhookSignature.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var key in _keys)
        {
            var expected = Encoding.ASCII.GetBytes(WebhookSignature.Sign(key, webhookId, timestamp, body));
            if (offered.Any(o => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(o), expected)))
            {
                return;
            }
        }

        throw new WebhookVerificationException("No webhook-signature matches the body with any of the secrets.");
    }
}
