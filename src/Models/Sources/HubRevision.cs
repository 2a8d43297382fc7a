namespace LlmQueue.Models.Sources;

/// <summary>Checks on revisions and commit hashes, which become paths in the cache.</summary>
internal static class HubRevision
{
    public const string Default = "main";

    /// <summary>A 40-hex git commit hash.</summary>
    public static bool IsCommit(string text) => text.Length == 40 && text.All(char.IsAsciiHexDigit);

    /// <summary>The revision, or a <see cref="ModelSourceException"/> if it could escape the refs folder.</summary>
    public static string Validate(string revision)
    {
        // Branch names may hold slashes ("refs/pr/1"): those become sub-folders of refs/, so every segment must be a plain name.
        bool valid = revision.Length > 0
            && !revision.Any(c => char.IsControl(c) || c == '\\' || c == ':')
            && revision.Split('/').All(s => s.Length > 0 && s != "." && s != "..");
        return valid ? revision : throw new ModelSourceException($"Revision '{revision}' is not a valid branch, tag or commit name.");
    }
}
