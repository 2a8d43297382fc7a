using LlmQueue.Engine.Cpu;
using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Engine.Models;
using LlmQueue.Engine.Sources;
using LlmQueue.Engine.Synthetic;
using LlmQueue.Engine.Templates;
using LlmQueue.Engine.Tokenization;
using LlmQueue.Engine.Weights;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Engine;

/// <summary>Builds the engine for the configured model folder or Hub id, or for a generated synthetic model.</summary>
public static class EngineFactory
{
    /// <param name="remoteTier">The shared prefix tier, or null when none is configured.</param>
    public static IGenerationEngine Create(EngineOptions options, ILoggerFactory loggerFactory, RemoteKvTier? remoteTier = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var logger = loggerFactory.CreateLogger("LlmQueue.Engine");
        var (folder, name) = string.IsNullOrWhiteSpace(options.ModelPath)
            ? (SyntheticModel.EnsureWritten(options.CacheDirectory, SyntheticModelSpec.Preset(options.SyntheticModel), options.SyntheticModel),
                "synthetic-" + options.SyntheticModel)
            : (Resolve(options, logger), Path.GetFileName(Path.TrimEndingDirectorySeparator(options.ModelPath)));

        var model = LlamaModel.Load(folder);
        try
        {
            _ = model.TokenizerPath
                ?? throw new ModelLoadException($"{Path.Combine(folder, LlamaModel.TokenizerFileName)}: file not found; a model folder needs its tokenizer.json.");
            var pretrained = PretrainedTokenizer.FromFolder(folder);
            var (tokenizer, chatTemplate) = (pretrained.Tokenizer, pretrained.ChatTemplate);
            var kvLayout = CpuModelRunner.KvLayoutFor(model.Config, options.BlockSize);
            var largePages = (int)Math.Clamp(((long)options.KvCacheMiB << 20) / kvLayout.LargePageBytes, 1, int.MaxValue / 64);
            var runner = new CpuModelRunner(model, options.BlockSize, largePages, options.Threads);
            logger.LogInformation(
                "Loaded {Model} from {Folder}: {Layers} layers, hidden {Hidden}, vocab {Vocab}; KV cache {MiB} MiB in {LargePages} pages of {PageKiB} KiB, blocks of {BlockSize} tokens, layer types {Types}",
                name, folder, model.Config.NumLayers, model.Config.HiddenSize, model.Config.VocabSize, options.KvCacheMiB, largePages,
                kvLayout.LargePageBytes >> 10, options.BlockSize, string.Join(", ", kvLayout.Types.Select(t => $"{t.Name} x{t.LayerCount}")));
            if (remoteTier is not null && !options.EnablePrefixCaching)
            {
                logger.LogWarning("The remote KV tier is configured but Engine:EnablePrefixCaching is off; the tier stays unused");
            }

            return new GenerationEngine(runner, tokenizer, name, options, logger, chatTemplate, model, ModelFingerprint.Compute(folder), remoteTier);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>A local folder as is; a Hub id downloaded (or found) in the cache. Runs once at start-up.</summary>
    private static string Resolve(EngineOptions options, ILogger logger)
    {
        var sourceOptions = new ModelSourceOptions { CacheDirectory = options.CacheDirectory, Offline = options.Offline };
        if (!string.IsNullOrWhiteSpace(options.HubEndpoint))
        {
            sourceOptions.Endpoint = options.HubEndpoint;
        }

        using var source = new ModelSource(sourceOptions);
        var resolved = source.ResolveAsync(options.ModelPath!, options.Revision, new DownloadProgressLog(line => logger.LogInformation("Download {Progress}", line)))
            .GetAwaiter().GetResult();
        if (resolved.Warning is not null)
        {
            logger.LogWarning("{Warning}", resolved.Warning);
        }

        return resolved.Folder;
    }
}
