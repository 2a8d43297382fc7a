using LlmQueue.Engine;
using LlmQueue.Engine.Sampling;
using Xunit;

namespace LlmQueue.TestKit;

/// <summary>
/// Engine behaviours that must hold on any runner, written once: the engine tests run them on the fake runner
/// (bookkeeping and paging), a backend's tests on its real runner (the same, with real K/V).
/// </summary>
public static class EngineScenarios
{
    /// <summary>Sampled requests for <paramref name="prompts"/>, seed = index.</summary>
    public static GenerationRequest[] Requests(IReadOnlyList<string> prompts, int maxTokens = 20) =>
        [.. prompts.Select((p, i) => Request(p, seed: i, maxTokens))];

    public static GenerationRequest Request(string prompt, long seed, int maxTokens = 20) => new()
    {
        RequestId = Guid.NewGuid().ToString("N"),
        Prompt = prompt,
        Sampling = new SamplingSettings { Seed = seed, MaxTokens = maxTokens, Temperature = 0.8f, TopP = 0.95f, IgnoreEos = true },
    };

    /// <summary>Each request alone (one running at a time) and all together give the same tokens; batching happened.</summary>
    public static async Task<GenerationResult[]> BatchingKeepsTokensAsync(Func<int, GenerationEngine> createEngine, IReadOnlyList<string> prompts, int maxTokens = 20)
    {
        var alone = await SequentiallyAsync(createEngine(1), prompts, maxTokens);
        // Whether requests share a step depends on how the engine thread interleaves with the submissions (a fast
        // runner may finish one before the next arrives): every run must keep the tokens, and one must have batched.
        var batchedOnce = await Interleaved.AnyRunAsync(async () =>
        {
            await using var batched = createEngine(8);
            var together = await Task.WhenAll(Requests(prompts, maxTokens).Select(r => batched.Submit(r).Completion));
            Assert.Equal(alone.Select(r => r.TokenIds), together.Select(r => r.TokenIds));
            return batched.GetStats().MaxBatchSize > 1;
        });
        Assert.True(batchedOnce, $"{Interleaved.Runs} runs of concurrent submissions never shared a step");
        return alone;
    }

    /// <summary>
    /// Prefix caching off, on (later prompts share a long prefix and hit it) and under preemption in a tight pool
    /// (<paramref name="createTight"/>, given the longest request's tokens) all give the same tokens.
    /// </summary>
    public static async Task PrefixCachingAndPreemptionKeepTokensAsync(
        Func<bool, GenerationEngine> createEngine, Func<int, GenerationEngine> createTight, IReadOnlyList<string> prompts, int maxTokens = 20)
    {
        var shared = string.Join(' ', prompts);
        var withPrefix = prompts.Select(p => shared + " " + p).Append(shared).ToArray();
        var expected = await SequentiallyAsync(createEngine(false), withPrefix, maxTokens);
        var cached = await SequentiallyAsync(createEngine(true), withPrefix, maxTokens);
        Assert.Equal(expected.Select(r => r.TokenIds), cached.Select(r => r.TokenIds));
        Assert.Equal(0, cached[0].CachedPromptTokens);
        Assert.All(cached.Skip(1), r => Assert.True(r.CachedPromptTokens > 0));

        // Whether requests overlap enough to preempt depends on how the engine thread interleaves with the
        // submissions: every run must keep the tokens, and one must have preempted.
        var preemptedOnce = await Interleaved.AnyRunAsync(async () =>
        {
            await using var tight = createTight(expected.Max(r => r.PromptTokens + r.CompletionTokens));
            var preempted = await Task.WhenAll(Requests(withPrefix, maxTokens).Select(r => tight.Submit(r).Completion));
            Assert.Equal(expected.Select(r => r.TokenIds), preempted.Select(r => r.TokenIds));
            Assert.Equal(tight.GetStats().KvCapacityBytes, tight.GetStats().ReclaimableKvBytes);
            return tight.GetStats().Preemptions > 0;
        });
        Assert.True(preemptedOnce, $"{Interleaved.Runs} runs in a pool that holds the longest request and a quarter never preempted");
    }

    private static async Task<GenerationResult[]> SequentiallyAsync(GenerationEngine engine, IReadOnlyList<string> prompts, int maxTokens)
    {
        await using (engine)
        {
            var results = new List<GenerationResult>();
            foreach (var request in Requests(prompts, maxTokens))
            {
                results.Add(await engine.Submit(request).Completion);
            }

            return [.. results];
        }
    }
}
