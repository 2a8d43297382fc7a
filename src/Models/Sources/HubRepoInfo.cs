using System.Text.Json;

namespace LlmQueue.Models.Sources;

/// <summary>The answer of GET api/models/{id}/revision/{rev}: the commit the revision points at and the file list.</summary>
internal sealed record HubRepoInfo(string Commit, IReadOnlyCollection<string> Files)
{
    public static HubRepoInfo Parse(byte[] json, Uri source)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            string? commit = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("sha", out var sha) && sha.ValueKind == JsonValueKind.String
                ? sha.GetString()
                : null;
            if (commit is null || !HubRevision.IsCommit(commit))
            {
                throw new ModelSourceException($"{source}: field 'sha' is missing or not a 40-hex commit hash.");
            }

            if (!root.TryGetProperty("siblings", out var siblings) || siblings.ValueKind != JsonValueKind.Array)
            {
                throw new ModelSourceException($"{source}: missing array field 'siblings'.");
            }

            var files = new HashSet<string>(StringComparer.Ordinal);
            foreach (var sibling in siblings.EnumerateArray())
            {
                if (sibling.ValueKind == JsonValueKind.Object && sibling.TryGetProperty("rfilename", out var name) && name.ValueKind == JsonValueKind.String)
                {
                    files.Add(name.GetString()!);
                }
            }

            return new HubRepoInfo(commit.ToLowerInvariant(), files);
        }
        catch (JsonException e)
        {
            throw new ModelSourceException($"{source}: the answer is not valid JSON: {e.Message}", e);
        }
    }
}
