using LlmQueue.Engine.Cpu;
using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Models;
using LlmQueue.Models.Synthetic;
using LlmQueue.Models.Templates;
using LlmQueue.Models.Tokenization;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmQueue.Engine.Tests;

/// <summary>A tiny synthetic checkpoint written once per test class, loaded through the real loader.</summary>
public sealed class TinyModelFixture : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "llmq-tests-" + Guid.NewGuid().ToString("N"));
    private readonly string _folder;

    public TinyModelFixture()
    {
        _folder = SyntheticModel.EnsureWritten(_root, SyntheticModelSpec.Tiny, "tiny");
        Model = LlamaModel.Load(_folder);
        Tokenizer = LlmQueue.Models.Tokenization.Tokenizer.FromFile(Path.Combine(_folder, "tokenizer.json"));
    }

    public LlamaModel Model { get; }

    public ITokenizer Tokenizer { get; }

    public string Folder => _folder;

    public GenerationEngine CreateEngine(
        int maxRunning = 8, int kvBlocks = 256, int blockSize = 16, ChatTemplate? chatTemplate = null, bool prefixCaching = true,
        RemoteKvTier? remoteTier = null, string? fingerprint = null)
    {
        var options = new EngineOptions
        {
            MaxRunningRequests = maxRunning, MaxBatchTokens = 64, BlockSize = blockSize, EnablePrefixCaching = prefixCaching,
        };
        var runner = new CpuModelRunner(Model, blockSize, kvBlocks, threads: 2);
        return new GenerationEngine(runner, Tokenizer, "tiny", options, NullLogger.Instance, chatTemplate, modelFingerprint: fingerprint, remoteTier: remoteTier);
    }

    public void Dispose()
    {
        Model.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}
