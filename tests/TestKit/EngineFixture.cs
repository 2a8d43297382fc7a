using LlmQueue.Engine;
using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Engine.Runners;
using LlmQueue.Models;
using LlmQueue.Models.Synthetic;
using LlmQueue.Models.Templates;
using LlmQueue.Models.Tokenization;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmQueue.TestKit;

/// <summary>Builds a runner for an engine test: the model, tokens per block and large pages of KV memory.</summary>
public delegate IModelRunner RunnerFactory(LlamaModel model, int blockSize, int largePages);

/// <summary>
/// A synthetic checkpoint written once per test class and loaded through the real loader, and engines over it on
/// the runner a test project chooses (the fake runner for engine logic, a real backend end to end).
/// </summary>
public class EngineFixture : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "llmq-tests-" + Guid.NewGuid().ToString("N"));
    private readonly RunnerFactory _runners;

    public EngineFixture(string preset, RunnerFactory runners)
    {
        _runners = runners;
        Folder = SyntheticModel.EnsureWritten(_root, SyntheticModelSpec.Preset(preset), preset);
        Model = LlamaModel.Load(Folder);
        Tokenizer = Models.Tokenization.Tokenizer.FromFile(Path.Combine(Folder, "tokenizer.json"));
        Preset = preset;
    }

    public string Preset { get; }

    public LlamaModel Model { get; }

    public ITokenizer Tokenizer { get; }

    public string Folder { get; }

    /// <summary>
    /// An engine over <paramref name="runner"/>, or a fresh runner of the fixture's kind with <paramref name="kvBlocks"/>
    /// large pages of KV memory; the engine owns the runner.
    /// </summary>
    public GenerationEngine CreateEngine(
        int maxRunning = 8, int kvBlocks = 256, int blockSize = 16, ChatTemplate? chatTemplate = null, bool prefixCaching = true,
        RemoteKvTier? remoteTier = null, string? fingerprint = null, int maxBatchTokens = 64, IModelRunner? runner = null)
    {
        var options = new EngineOptions
        {
            MaxRunningRequests = maxRunning, MaxBatchTokens = maxBatchTokens, BlockSize = blockSize, EnablePrefixCaching = prefixCaching,
        };
        return new GenerationEngine(runner ?? _runners(Model, blockSize, kvBlocks), Tokenizer, Preset, options, NullLogger.Instance, chatTemplate, modelFingerprint: fingerprint, remoteTier: remoteTier);
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Model.Dispose();
            Directory.Delete(_root, recursive: true);
        }
    }
}
