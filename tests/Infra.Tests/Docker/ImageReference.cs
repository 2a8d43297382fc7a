namespace LlmQueue.Infra.Tests.Docker;

/// <summary>An image reference split into repository, tag and digest (registry/path/name:tag@sha256:...).</summary>
internal sealed record ImageReference(string Repository, string? Tag, string? Digest)
{
    public static ImageReference Parse(string reference)
    {
        var at = reference.IndexOf('@', StringComparison.Ordinal);
        var digest = at < 0 ? null : reference[(at + 1)..];
        var name = at < 0 ? reference : reference[..at];
        // A ':' after the last '/' starts the tag; one before it belongs to a registry port.
        var colon = name.LastIndexOf(':');
        return colon > name.LastIndexOf('/')
            ? new ImageReference(name[..colon], name[(colon + 1)..], digest)
            : new ImageReference(name, null, digest);
    }
}
