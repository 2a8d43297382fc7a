using System.Net.Http.Headers;

namespace LlmQueue.Models.Sources;

/// <summary>What the resolve endpoint's first answer (before any redirect) says about a file.</summary>
internal sealed record HubFileMetadata(string? ETag, string? LinkedETag, long? LinkedSize)
{
    /// <summary>The expected sha256 (lowercase hex) when the file is LFS-backed: the Hub's ETag for LFS
    /// content is its sha256, whereas plain git files carry a 40-hex blob id that is not a content hash.</summary>
    public string? Sha256
    {
        get
        {
            string? tag = LinkedETag ?? ETag;
            return tag is { Length: 64 } && tag.All(char.IsAsciiHexDigit) ? tag.ToLowerInvariant() : null;
        }
    }

    public static HubFileMetadata From(HttpResponseMessage response)
    {
        var headers = response.Headers;
        string? linkedSize = Header(headers, "X-Linked-Size");
        return new HubFileMetadata(
            Unquote(headers.ETag?.Tag ?? Header(headers, "ETag")),
            Unquote(Header(headers, "X-Linked-Etag")),
            long.TryParse(linkedSize, out long size) && size >= 0 ? size : null);
    }

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static string? Unquote(string? tag)
    {
        if (tag is null)
        {
            return null;
        }

        string trimmed = tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag;
        return trimmed.Trim('"');
    }
}
