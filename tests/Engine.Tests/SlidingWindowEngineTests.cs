using LlmQueue.TestKit;

namespace LlmQueue.Engine.Tests;

/// <summary>
/// The engine on Gemma-2- and Gemma-3-shaped models (window 8, blocks of 4) over the fake runner, which reads
/// back what each layer type's pages hold: sliding layers read their own block tables, whose out-of-window pages
/// the pool releases and caches, under batching, chunked prefill, prefix caching and preemption.
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

    private readonly PresetEngines _engines = new((model, blockSize, largePages) => new FakeRunner(model.Config, blockSize, largePages));

    public static TheoryData<string> Families() => ["tiny-gemma2", "tiny-gemma3"];

    [Theory]
    [MemberData(nameof(Families))]
    public async Task The_pool_has_a_sliding_type_and_batched_decode_equals_one_request_at_a_time(string family)
    {
        var layout = _engines.Layout(family);
        Assert.Contains(layout.Types, t => t.SlidingWindow == 8);
        Assert.Contains(layout.Types, t => !t.IsSliding);

        await EngineScenarios.BatchingKeepsTokensAsync(maxRunning => _engines.Create(family, maxRunning), Prompts);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public Task Prefix_caching_on_and_off_and_preemption_give_identical_tokens(string family) =>
        EngineScenarios.PrefixCachingAndPreemptionKeepTokensAsync(
            prefixCaching => _engines.Create(family, maxRunning: 8, prefixCaching), tokens => _engines.CreateTight(family, tokens), Prompts);

    public void Dispose() => _engines.Dispose();
}
