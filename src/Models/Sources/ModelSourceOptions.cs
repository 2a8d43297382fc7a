namespace LlmQueue.Models.Sources;

/// <summary>Settings for <see cref="ModelSource"/>.</summary>
public sealed class ModelSourceOptions
{
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>Cache root; Hub snapshots go to &lt;CacheDirectory&gt;/models--org--name/snapshots/&lt;commit&gt;/.</summary>
    public string CacheDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "llmq-models");

    /// <summary>Hub base URL; defaults to HF_ENDPOINT, else https://huggingface.co.</summary>
    public string Endpoint { get; set; } = NonEmpty(Environment.GetEnvironmentVariable("HF_ENDPOINT")) ?? DefaultEndpoint;

    /// <summary>Hub access token sent as a Bearer header; defaults to HF_TOKEN. Empty means none.</summary>
    public string? Token { get; set; } = NonEmpty(Environment.GetEnvironmentVariable("HF_TOKEN"));

    /// <summary>Never contact the Hub: use the snapshot the cache has for the revision, or fail.</summary>
    public bool Offline { get; set; }

    /// <summary>Attempts per file before a download fails (interruptions resume; corrupt files restart).</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Pause before the second attempt; it grows linearly with each further attempt.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Bounds connecting, waiting for an answer's headers, and each read of a body: a download that
    /// receives no data for this long counts as interrupted (and is resumed on the next attempt).</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(60);

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
