using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Engine.Runners;
using LlmQueue.Models;
using LlmQueue.Models.Sources;
using LlmQueue.Models.Synthetic;
using LlmQueue.Models.Templates;
using LlmQueue.Models.Tokenization;
using LlmQueue.Models.Weights;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Engine;

/// <summary>
/// Builds the engine at host start, in order: settings checked, backend chosen (Engine:Device), model source
/// resolved (a Hub download reports progress), weights, tokenizer and chat template loaded, runner built by the
/// backend (which sizes the KV memory), engine started. Expected failures throw <see cref="EngineStartException"/>
/// with one line for the operator; anything else is a bug and keeps its stack trace.
/// </summary>
public static class EngineFactory
{
    /// <param name="backends">The registered backends (at least the CPU's).</param>
    /// <param name="remoteTier">The shared prefix tier, or null when none is configured.</param>
    /// <param name="progress">Download progress of a Hub model; null logs it.</param>
    public static async Task<IGenerationEngine> CreateAsync(
        EngineOptions options,
        IEnumerable<IRunnerBackend> backends,
        ILoggerFactory loggerFactory,
        RemoteKvTier? remoteTier = null,
        IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(backends);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var logger = loggerFactory.CreateLogger("LlmQueue.Engine");
        var failures = options.Validate();
        if (failures.Count > 0)
        {
            throw new EngineStartException(EngineStartFailure.Configuration, string.Join(" ", failures));
        }

        var backend = BackendSelection.Choose(options.Device, [.. backends], logger);
        var (folder, name) = await ResolveAsync(options, logger, progress, cancellationToken);
        var model = Load(folder, name);
        IModelRunner? runner = null;
        try
        {
            var (tokenizer, chatTemplate) = LoadText(model, name);
            runner = backend.CreateRunner(model, options, logger);
            var layout = runner.KvLayout;
            logger.LogInformation(
                "Loaded {Model} from {Folder} on {Device}: {Layers} layers, hidden {Hidden}, vocab {Vocab}; KV cache {MiB} MiB in {LargePages} pages of {PageKiB} KiB ({Dtype}), blocks of {BlockSize} tokens, layer types {Types}",
                name, folder, backend.Device, model.Config.NumLayers, model.Config.HiddenSize, model.Config.VocabSize,
                (runner.KvLargePages * layout.LargePageBytes) >> 20, runner.KvLargePages, layout.LargePageBytes >> 10, runner.KvPageFormat.Dtype,
                layout.BlockTokens, string.Join(", ", layout.Types.Select(t => $"{t.Name} x{t.LayerCount}")));
            if (remoteTier is not null && !options.EnablePrefixCaching)
            {
                logger.LogWarning("The remote KV tier is configured but Engine:EnablePrefixCaching is off; the tier stays unused");
            }

            return new GenerationEngine(runner, tokenizer, name, options, logger, chatTemplate, model, ModelFingerprint.Compute(folder), remoteTier);
        }
        catch
        {
            runner?.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>The model's folder and name: a synthetic preset written once, a local folder as is, or a Hub id downloaded (or found) in the cache.</summary>
    private static async Task<(string Folder, string Name)> ResolveAsync(
        EngineOptions options, ILogger logger, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(options.ModelPath))
        {
            var preset = options.SyntheticModel;
            try
            {
                return (SyntheticModel.EnsureWritten(options.CacheDirectory, SyntheticModelSpec.Preset(preset), preset), "synthetic-" + preset);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new EngineStartException(EngineStartFailure.Configuration,
                    $"Engine:CacheDirectory '{options.CacheDirectory}': cannot write the synthetic model '{preset}': {ex.Message}", ex);
            }
        }

        var sourceOptions = new ModelSourceOptions { CacheDirectory = options.CacheDirectory, Offline = options.Offline };
        if (!string.IsNullOrWhiteSpace(options.HubEndpoint))
        {
            sourceOptions.Endpoint = options.HubEndpoint;
        }

        try
        {
            using var source = new ModelSource(sourceOptions);
            var resolved = await source.ResolveAsync(
                options.ModelPath, options.Revision, progress ?? new DownloadProgressLog(line => logger.LogInformation("Download {Progress}", line)), cancellationToken);
            if (resolved.Warning is not null)
            {
                logger.LogWarning("{Warning}", resolved.Warning);
            }

            return (resolved.Folder, Path.GetFileName(Path.TrimEndingDirectorySeparator(options.ModelPath)));
        }
        catch (ModelSourceException ex)
        {
            throw new EngineStartException(EngineStartFailure.Model, $"Engine:ModelPath '{options.ModelPath}': {ex.Message}", ex);
        }
    }

    private static LlamaModel Load(string folder, string name)
    {
        try
        {
            return LlamaModel.Load(folder);
        }
        catch (ModelLoadException ex)
        {
            throw new EngineStartException(EngineStartFailure.Model, $"Model '{name}': {ex.Message}", ex);
        }
    }

    private static (ITokenizer Tokenizer, ChatTemplate? ChatTemplate) LoadText(LlamaModel model, string name)
    {
        var path = model.TokenizerPath ?? throw new EngineStartException(EngineStartFailure.Model,
            $"Model '{name}': {Path.Combine(model.Folder, LlamaModel.TokenizerFileName)}: file not found; a model folder needs its tokenizer.json.");
        try
        {
            // tokenizer.json and tokenizer_config.json (added tokens, bos/eos, chat template) in one read.
            var pretrained = PretrainedTokenizer.FromFolder(model.Folder);
            return (pretrained.Tokenizer, pretrained.ChatTemplate);
        }
        catch (Exception ex) when (ex is TokenizerFormatException or TemplateException or IOException)
        {
            throw new EngineStartException(EngineStartFailure.Model, $"Model '{name}': {ex.Message}", ex);
        }
    }
}
