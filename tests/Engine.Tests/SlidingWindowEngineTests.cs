using LlmQueue.Engine.Cpu;
using LlmQueue.Models;
using LlmQueue.Engine.Sampling;
using LlmQueue.Models.Synthetic;
using LlmQueue.Models.Tokenization;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmQueue.Engine.Tests;

/// <summary>
/// The engine end to end on Gemma-2- and Gemma-3-shaped models (window 8, blocks of 4): sliding layers read their
/// own block tables, whose out-of-window pages the pool releases and caches, under batching, chunked prefill,
/// prefix caching and preemption.
/// </summary>
public sealed class SlidingWindowEngineTests : IDisposable
{
    private static readonly string[] Prompts =
    [
        "Sliding window layers only attend to the last few keys, so their pages",
        "Once upon a time, in a land far away, there lived a queue of requests",
        "def window(keys, q, w): return keys[max(0, q - w + 1): q + 1]",
        "Hi",
    ];

    private readonly string _root = Path.Combine(Path.GetTempPath(), "llmq-sliding-" + Guid.NewGuid().ToString("N"));
    private readonly List<LlamaModel> _models = [];

    public static TheoryData<string> Families() => ["tiny-gemma2", "tiny-gemma3"];

    [Theory]
    [MemberData(nameof(Families))]
    public async Task The_pool_has_a_sliding_type_and_batched_decode_equals_one_request_at_a_time(string family)
    {
        var alone = new List<IReadOnlyList<int>>();
        await using (var engine = CreateEngine(family, maxRunning: 1))
        {
            foreach (var (prompt, i) in Prompts.Select((p, i) => (p, i)))
            {
                alone.Add((await engine.Submit(Request(prompt, seed: i)).Completion).TokenIds);
            }
        }

        await using var batched = CreateEngine(family, maxRunning: 8);
        var together = await Task.WhenAll(Prompts.Select((p, i) => batched.Submit(Request(p, seed: i)).Completion));

        Assert.Equal(alone, together.Select(r => r.TokenIds));
        Assert.True(batched.GetStats().MaxBatchSize > 1);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Prefix_caching_on_and_off_and_preemption_give_identical_tokens(string family)
    {
        // Shared prefixes far longer than the window: a hit needs every full-attention block but only the
        // sliding blocks of the last window before the hit point.
        var shared = string.Join(' ', Prompts);
        var prompts = Prompts.Select(p => shared + " " + p).Concat([shared]).ToArray();
        await using var off = CreateEngine(family, maxRunning: 8, prefixCaching: false);
        var expected = await RunSequentiallyAsync(off, prompts);

        await using var on = CreateEngine(family, maxRunning: 8);
        var cached = await RunSequentiallyAsync(on, prompts);
        Assert.Equal(expected.Select(r => r.TokenIds), cached.Select(r => r.TokenIds));
        Assert.Equal(0, cached[0].CachedPromptTokens);
        Assert.All(cached.Skip(1), r => Assert.True(r.CachedPromptTokens > 0));

        // Concurrently in a pool that fits the longest request alone (plus a quarter): preemption by recompute,
        // reusing cached blocks.
        var longest = expected.Max(r => r.PromptTokens + r.CompletionTokens);
        var config = ModelConfigReader.Read(Path.Combine(SyntheticModel.EnsureWritten(_root, SyntheticModelSpec.Preset(family), family), ModelConfigReader.FileName));
        var layout = CpuModelRunner.KvLayoutFor(config, 4);
        var largePages = Enumerable.Range(1, 1000).First(p => layout.MaxSequenceTokens(p * layout.LargePageBytes) >= longest * 5 / 4);
        await using var tight = CreateEngine(family, maxRunning: 8, largePages: largePages);
        var preempted = await Task.WhenAll(prompts.Select((p, i) => tight.Submit(Request(p, seed: i)).Completion));
        Assert.Equal(expected.Select(r => r.TokenIds), preempted.Select(r => r.TokenIds));
        Assert.True(tight.GetStats().Preemptions > 0);
        Assert.Equal(tight.GetStats().KvCapacityBytes, tight.GetStats().ReclaimableKvBytes);
    }

    public void Dispose()
    {
        _models.ForEach(m => m.Dispose());
        Directory.Delete(_root, recursive: true);
    }

    private static async Task<GenerationResult[]> RunSequentiallyAsync(GenerationEngine engine, string[] prompts)
    {
        var results = new List<GenerationResult>();
        foreach (var (prompt, i) in prompts.Select((p, i) => (p, i)))
        {
            results.Add(await engine.Submit(Request(prompt, seed: i)).Completion);
        }

        return [.. results];
    }

    private GenerationEngine CreateEngine(string family, int maxRunning, bool prefixCaching = true, int largePages = 256)
    {
        var folder = SyntheticModel.EnsureWritten(_root, SyntheticModelSpec.Preset(family), family);
        var model = LlamaModel.Load(folder);
        _models.Add(model);
        var runner = new CpuModelRunner(model, blockSize: 4, largePages, threads: 2);
        Assert.Contains(runner.KvLayout.Types, t => t.SlidingWindow == 8);
        Assert.Contains(runner.KvLayout.Types, t => !t.IsSliding);
        var options = new EngineOptions { MaxRunningRequests = maxRunning, MaxBatchTokens = 16, BlockSize = 4, EnablePrefixCaching = prefixCaching };
        return new GenerationEngine(runner, Tokenizer.FromFile(Path.Combine(folder, "tokenizer.json")), family, options, NullLogger.Instance);
    }

    private static GenerationRequest Request(string prompt, long seed) => new()
    {
        RequestId = Guid.NewGuid().ToString("N"),
        Prompt = prompt,
        Sampling = new SamplingSettings { Seed = seed, MaxTokens = 20, Temperature = 0.8f, TopP = 0.95f, IgnoreEos = true },
    };
}
