using System.Text.RegularExpressions;

namespace LlmQueue.Models.Sources;

/// <summary>A Hub model id, "name" or "org/name", with the Hub's character rules.</summary>
internal sealed partial record HubRepoId
{
    private HubRepoId(string value) => Value = value;

    public string Value { get; }

    /// <summary>Cache folder name as huggingface_hub spells it, so both tools can share a cache.</summary>
    public string CacheFolderName => "models--" + Value.Replace("/", "--", StringComparison.Ordinal);

    /// <summary>The id with each segment escaped for a URL path.</summary>
    public string UrlPath => string.Join('/', Value.Split('/').Select(Uri.EscapeDataString));

    public static bool TryParse(string text, out HubRepoId? id)
    {
        // "--" and ".." are refused by the Hub; refusing them here also keeps the cache folder name unambiguous.
        id = IdPattern().IsMatch(text) && !text.Contains("--", StringComparison.Ordinal) && !text.Contains("..", StringComparison.Ordinal)
            ? new HubRepoId(text)
            : null;
        return id is not null;
    }

    public override string ToString() => Value;

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]{1,96}(/[A-Za-z0-9_.\-]{1,96})?$")]
    private static partial Regex IdPattern();
}
