namespace LlmQueue.Models.Sources;

/// <summary>Where a resolved model came from.</summary>
public enum ModelOrigin
{
    /// <summary>A local folder given by path.</summary>
    LocalFolder,

    /// <summary>A Hub revision resolved online; missing files were downloaded into the cache.</summary>
    Hub,

    /// <summary>A Hub snapshot found in the cache without asking the Hub (offline, or the Hub was unreachable).</summary>
    Cache,
}

/// <summary>A model folder ready for <c>LlamaModel.Load</c>.</summary>
/// <param name="Folder">The folder holding config.json, tokenizer.json and the safetensors weights.</param>
/// <param name="Commit">The Hub commit of the snapshot; null for a local folder.</param>
/// <param name="Origin">How the folder was found.</param>
/// <param name="Warning">Set when the Hub could not be reached and a cached snapshot was used instead; worth logging.</param>
public sealed record ResolvedModel(string Folder, string? Commit, ModelOrigin Origin, string? Warning = null);
