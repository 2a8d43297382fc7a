using LlmQueue.Transport;

namespace LlmQueue.Serving.Callbacks;

/// <summary>HTTP result callbacks (section "Callbacks").</summary>
public sealed class CallbackOptions
{
    public const string SectionName = "Callbacks";

    /// <summary>Signing secrets, "whsec_" + base64; every one signs each callback (rotation: add the new, later drop the old).</summary>
    public IList<string> Secrets { get; } = [];

    /// <summary>Allow http:// callback URLs (default: https only).</summary>
    public bool AllowHttp { get; set; }

    /// <summary>Allow callbacks to loopback, private and link-local addresses (default: refused, after DNS resolution).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Follow redirects (each hop's address checked again); default: a redirect is a failed attempt.</summary>
    public bool FollowRedirects { get; set; }

    /// <summary>Per-attempt timeout.</summary>
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>Delay before the first retry; each later retry waits twice as long (with ±20% jitter) up to <see cref="MaxRetryDelaySeconds"/>.</summary>
    public int FirstRetrySeconds { get; set; } = 5;

    public int MaxRetryDelaySeconds { get; set; } = 3600;

    /// <summary>How long after the first attempt a callback is still retried; then it is dead-lettered.</summary>
    public int RetryPeriodSeconds { get; set; } = 86400;

    /// <summary>The durable queue failed callbacks wait in between attempts.</summary>
    public string RetryQueue { get; set; } = "llmq-callbacks";

    public IReadOnlyList<string> Validate()
    {
        var failures = new List<string>();
        for (var i = 0; i < Secrets.Count; i++)
        {
            if (WebhookSignature.ParseSecret(Secrets[i]) is not { Length: >= 16 })
            {
                failures.Add($"Callbacks:Secrets:{i} must be \"whsec_\" followed by base64 of at least 16 bytes.");
            }
        }

        AddIfOutside(failures, "TimeoutSeconds", TimeoutSeconds, 1, 300);
        AddIfOutside(failures, "FirstRetrySeconds", FirstRetrySeconds, 1, 3600);
        AddIfOutside(failures, "MaxRetryDelaySeconds", MaxRetryDelaySeconds, FirstRetrySeconds, 86400);
        AddIfOutside(failures, "RetryPeriodSeconds", RetryPeriodSeconds, 0, 7 * 86400);
        if (string.IsNullOrWhiteSpace(RetryQueue))
        {
            failures.Add("Callbacks:RetryQueue must not be empty.");
        }

        return failures;
    }

    private static void AddIfOutside(List<string> failures, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add($"Callbacks:{key} must be {min}-{max}, got {value}.");
        }
    }
}
