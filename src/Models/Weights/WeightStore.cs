using System.Text.Json;

namespace LlmQueue.Models.Weights;

/// <summary>
/// All tensors of a checkpoint folder: model.safetensors, or the shards listed in
/// model.safetensors.index.json "weight_map". Owns the file mappings.
/// </summary>
public sealed class WeightStore : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, TensorView> _tensors;

    private WeightStore(string folder, List<SafetensorsFile> files, Dictionary<string, TensorView> tensors)
    {
        Folder = folder;
        _files = files;
        _tensors = tensors;
    }

    public string Folder { get; }

    public IReadOnlyDictionary<string, TensorView> Tensors => _tensors;

    public static WeightStore Open(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string indexPath = Path.Combine(folder, IndexFileName);
        if (File.Exists(indexPath))
        {
            return OpenSharded(folder, indexPath);
        }

        string singlePath = Path.Combine(folder, SingleFileName);
        if (!File.Exists(singlePath))
        {
            throw ModelLoadException.For(folder, $"neither {SingleFileName} nor {IndexFileName} found.");
        }

        var file = SafetensorsFile.Open(singlePath);
        return new WeightStore(folder, [file], new Dictionary<string, TensorView>(file.Tensors, StringComparer.Ordinal));
    }

    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The named tensor; throws <see cref="ModelLoadException"/> naming the folder if absent.</summary>
    public TensorView Get(string name) =>
        _tensors.TryGetValue(name, out var view)
            ? view
            : throw ModelLoadException.For(Folder, $"required tensor '{name}' is missing from the checkpoint.");

    public void Dispose()
    {
        foreach (var file in _files)
        {
            file.Dispose();
        }
    }

    private static WeightStore OpenSharded(string folder, string indexPath)
    {
        var weightMap = ReadWeightMap(indexPath);
        var files = new List<SafetensorsFile>();
        try
        {
            var byShard = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            var tensors = new Dictionary<string, TensorView>(StringComparer.Ordinal);
            foreach (var (tensorName, shardName) in weightMap)
            {
                if (!byShard.TryGetValue(shardName, out var shard))
                {
                    shard = SafetensorsFile.Open(ShardPath(folder, indexPath, shardName));
                    files.Add(shard);
                    byShard[shardName] = shard;
                }

                tensors[tensorName] = shard.Tensors.TryGetValue(tensorName, out var view)
                    ? view
                    : throw ModelLoadException.For(indexPath, $"weight_map puts tensor '{tensorName}' in {shardName}, which does not contain it.");
            }

            return new WeightStore(folder, files, tensors);
        }
        catch
        {
            files.ForEach(f => f.Dispose());
            throw;
        }
    }

    private static string ShardPath(string folder, string indexPath, string shardName)
    {
        // Shard names are plain file names; refuse anything that would escape the model folder.
        if (shardName.Length == 0 || Path.GetFileName(shardName) != shardName)
        {
            throw ModelLoadException.For(indexPath, $"weight_map shard name '{shardName}' is not a plain file name.");
        }

        return Path.Combine(folder, shardName);
    }

    private static List<KeyValuePair<string, string>> ReadWeightMap(string indexPath)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out var map)
                || map.ValueKind != JsonValueKind.Object)
            {
                throw ModelLoadException.For(indexPath, "missing object field 'weight_map'.");
            }

            var entries = new List<KeyValuePair<string, string>>();
            foreach (var entry in map.EnumerateObject())
            {
                entries.Add(new(entry.Name, entry.Value.ValueKind == JsonValueKind.String
                    ? entry.Value.GetString()!
                    : throw ModelLoadException.For(indexPath, $"weight_map entry '{entry.Name}' is not a file name string.")));
            }

            return entries;
        }
        catch (JsonException e)
        {
            throw ModelLoadException.For(indexPath, $"not valid JSON: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw ModelLoadException.For(indexPath, $"cannot read file: {e.Message}", e);
        }
    }
}
