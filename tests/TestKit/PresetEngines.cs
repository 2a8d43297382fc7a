using LlmQueue.Engine;
using LlmQueue.Engine.KvCache.Jenga;
using LlmQueue.Models;
using LlmQueue.Models.Synthetic;
using LlmQueue.Models.Tokenization;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmQueue.TestKit;

/// <summary>
/// Engines over synthetic presets with small blocks and step budgets (so chunked prefill, sliding-window
/// releases and preemption all happen on short prompts), on the runner a test project chooses. Disposing
/// unloads the models and deletes the checkpoints.
/// </summary>
public sealed class PresetEngines(RunnerFactory runners) : IDisposable
{
    public const int BlockSize = 4;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "llmq-presets-" + Guid.NewGuid().ToString("N"));
    private readonly List<LlamaModel> _models = [];

    public GenerationEngine Create(string preset, int maxRunning, bool prefixCaching = true, int largePages = 256)
    {
        var folder = SyntheticModel.EnsureWritten(_root, SyntheticModelSpec.Preset(preset), preset);
        var model = LlamaModel.Load(folder);
        _models.Add(model);
        var options = new EngineOptions { MaxRunningRequests = maxRunning, MaxBatchTokens = 16, BlockSize = BlockSize, EnablePrefixCaching = prefixCaching };
        return new GenerationEngine(
            runners(model, BlockSize, largePages), Tokenizer.FromFile(Path.Combine(folder, "tokenizer.json")), preset, options, NullLogger.Instance);
    }

    /// <summary>An engine whose pool holds the longest request (<paramref name="tokens"/>) alone plus a quarter: others get preempted.</summary>
    public GenerationEngine CreateTight(string preset, int tokens)
    {
        var layout = Layout(preset);
        var largePages = Enumerable.Range(1, 1000).First(p => layout.MaxSequenceTokens(p * layout.LargePageBytes) >= tokens * 5 / 4);
        return Create(preset, maxRunning: 8, largePages: largePages);
    }

    /// <summary>The preset's KV layout at this block size (f32 elements, as the CPU and fake runners cut it).</summary>
    public KvPoolLayout Layout(string preset)
    {
        var folder = SyntheticModel.EnsureWritten(_root, SyntheticModelSpec.Preset(preset), preset);
        return KvPoolLayout.ForModel(ModelConfigReader.Read(Path.Combine(folder, ModelConfigReader.FileName)), BlockSize, sizeof(float));
    }

    public void Dispose()
    {
        _models.ForEach(m => m.Dispose());
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
