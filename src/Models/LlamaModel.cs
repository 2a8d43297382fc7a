using LlmQueue.Models.Weights;

namespace LlmQueue.Models;

/// <summary>
/// A loaded Hugging Face decoder checkpoint folder (Llama, Qwen 2/3, Gemma 2/3; the name is historical):
/// config, memory-mapped weights and the path of tokenizer.json. Dispose releases the mappings (runners
/// using the weights must be disposed first).
/// </summary>
public sealed class LlamaModel : IDisposable
{
    public const string TokenizerFileName = "tokenizer.json";

    private readonly WeightStore _store;

    private LlamaModel(string folder, ModelConfig config, WeightStore store, DecoderWeights weights)
    {
        Folder = folder;
        Config = config;
        _store = store;
        Weights = weights;
    }

    public string Folder { get; }

    public ModelConfig Config { get; }

    public DecoderWeights Weights { get; }

    /// <summary>Path of tokenizer.json in the folder, or null when the folder has none.</summary>
    public string? TokenizerPath => File.Exists(Path.Combine(Folder, TokenizerFileName)) ? Path.Combine(Folder, TokenizerFileName) : null;

    public static LlamaModel Load(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
        {
            throw ModelLoadException.For(folder, "model folder does not exist.");
        }

        var config = ModelConfigReader.Read(Path.Combine(folder, ModelConfigReader.FileName));
        var store = WeightStore.Open(folder);
        try
        {
            return new LlamaModel(folder, config, store, DecoderWeights.Bind(store, config));
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    public void Dispose() => _store.Dispose();
}
