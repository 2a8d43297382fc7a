using System.Text.Json;
using LlmQueue.Models.Weights;

namespace LlmQueue.Models.Sources;

/// <summary>Which files of a repository a Llama-architecture checkpoint needs.</summary>
internal static class CheckpointFiles
{
    private static readonly string[] Required = [ModelConfigReader.FileName, LlamaModel.TokenizerFileName];
    private static readonly string[] Optional = ["tokenizer_config.json", "generation_config.json"];

    /// <summary>The files to fetch first, from the repository's file list: config, tokenizer files and
    /// model.safetensors, or the shard index (whose shards come from <see cref="ShardsOf"/> once it is local).</summary>
    public static IReadOnlyList<string> Select(string repoName, IReadOnlyCollection<string> repoFiles)
    {
        var missing = Required.Where(f => !repoFiles.Contains(f)).ToList();
        string? weights = repoFiles.Contains(WeightStore.SingleFileName) ? WeightStore.SingleFileName
            : repoFiles.Contains(WeightStore.IndexFileName) ? WeightStore.IndexFileName
            : null;
        if (weights is null)
        {
            missing.Add($"{WeightStore.SingleFileName} or {WeightStore.IndexFileName}");
        }

        if (missing.Count > 0)
        {
            throw new ModelSourceException($"{repoName}: the repository lacks {string.Join(", ", missing)}; it has {string.Join(", ", repoFiles)}.");
        }

        return [.. Required, .. Optional.Where(repoFiles.Contains), weights!];
    }

    /// <summary>The distinct shard file names of a local model.safetensors.index.json.</summary>
    public static IReadOnlyList<string> ShardsOf(string indexPath)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out var map)
                || map.ValueKind != JsonValueKind.Object)
            {
                throw new ModelSourceException($"{indexPath}: missing object field 'weight_map'.");
            }

            return map.EnumerateObject().Select(entry => ShardName(indexPath, entry)).Distinct(StringComparer.Ordinal).ToList();
        }
        catch (JsonException e)
        {
            throw new ModelSourceException($"{indexPath}: not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>The needed files a local folder lacks (empty when it is a complete checkpoint).</summary>
    public static IReadOnlyList<string> MissingIn(string folder)
    {
        var missing = Required.Where(f => !File.Exists(Path.Combine(folder, f))).ToList();
        string index = Path.Combine(folder, WeightStore.IndexFileName);
        if (File.Exists(index))
        {
            missing.AddRange(ShardsOf(index).Where(s => !File.Exists(Path.Combine(folder, s))));
        }
        else if (!File.Exists(Path.Combine(folder, WeightStore.SingleFileName)))
        {
            missing.Add(WeightStore.SingleFileName);
        }

        return missing;
    }

    private static string ShardName(string indexPath, JsonProperty entry)
    {
        // Shard names become paths in the snapshot folder: only plain file names are acceptable.
        string? name = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString() : null;
        return !string.IsNullOrEmpty(name) && Path.GetFileName(name) == name && name != ".." && name != "."
            ? name
            : throw new ModelSourceException($"{indexPath}: weight_map entry '{entry.Name}' names '{entry.Value}', which is not a plain file name.");
    }
}
