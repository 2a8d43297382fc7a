using LlmQueue.TestKit;

namespace LlmQueue.Engine.Cpu.Tests;

/// <summary>
/// The engine end to end on the CPU runner (real K/V in real pages) for a Llama-shaped and the Gemma-shaped
/// presets: batching, prefix caching on and off, and preemption by recompute all give the same tokens.
/// </summary>
public sealed class EngineOnCpuRunnerTests : IDisposable
{
    private static readonly string[] Prompts =
    [
        "Sliding window layers only attend to the last few keys, so their pages",
        "Once upon a time, in a land far away, there lived a queue of requests",
        "Hi",
    ];

    private readonly PresetEngines _engines = new((model, blockSize, largePages) => new CpuModelRunner(model, blockSize, largePages, threads: 2));

    public static TheoryData<string> Presets() => ["tiny", "tiny-gemma2", "tiny-gemma3"];

    [Theory]
    [MemberData(nameof(Presets))]
    public Task Batched_decode_equals_one_request_at_a_time(string preset) =>
        EngineScenarios.BatchingKeepsTokensAsync(maxRunning => _engines.Create(preset, maxRunning), Prompts, maxTokens: 12);

    [Theory]
    [MemberData(nameof(Presets))]
    public Task Prefix_caching_on_and_off_and_preemption_give_identical_tokens(string preset) =>
        EngineScenarios.PrefixCachingAndPreemptionKeepTokensAsync(
            prefixCaching => _engines.Create(preset, maxRunning: 8, prefixCaching), tokens => _engines.CreateTight(preset, tokens), Prompts, maxTokens: 12);

    public void Dispose() => _engines.Dispose();
}
