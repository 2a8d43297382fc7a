using LlmQueue.Engine;
using LlmQueue.Engine.Cpu;
using LlmQueue.Engine.Sampling;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmQueue.Bench;

/// <summary>
/// Time to first token for a request whose long prefix another request already computed (prefix cache
/// hit) against the same request on a cold cache, on the live engine.
/// </summary>
internal static class PrefixCacheBenchmark
{
    private const int SuffixLength = 16;

    public static async Task RunAsync(bool smoke, TextWriter output)
    {
        var prefixLength = smoke ? 64 : 2000;
        var repeats = smoke ? 1 : 5;
        var model = smoke ? "tiny" : "small-100m";
        await using var engine = await EngineFactory.CreateAsync(
            new EngineOptions { SyntheticModel = model, KvCacheMiB = 512, MaxBatchTokens = 512, Device = EngineDevices.Cpu }, [new CpuBackend()], NullLoggerFactory.Instance);
        var random = new Random(42);
        var cold = new List<double>();
        var warm = new List<double>();
        var cached = 0;
        for (var r = -1; r < repeats; r++)
        {
            // A fresh prefix each round, so the "cold" request really is cold; round -1 warms the JIT.
            var prefix = Tokens(random, prefixLength, engine.Model.VocabSize);
            var first = await TtftAsync(engine, [.. prefix, .. Tokens(random, SuffixLength, engine.Model.VocabSize)]);
            var second = await TtftAsync(engine, [.. prefix, .. Tokens(random, SuffixLength, engine.Model.VocabSize)]);
            if (r >= 0)
            {
                cold.Add(first.TtftMs);
                warm.Add(second.TtftMs);
                cached = second.CachedPromptTokens;
            }
        }

        output.WriteLine($"model {model}: prompt = {prefixLength}-token shared prefix + {SuffixLength}-token own suffix, median of {repeats}");
        output.WriteLine("| cold TTFT ms | TTFT with the prefix cached ms | cached prompt tokens | ratio |");
        output.WriteLine("|---|---|---|---|");
        output.WriteLine($"| {Stats.Median(cold):F1} | {Stats.Median(warm):F1} | {cached} | {100 * Stats.Median(warm) / Stats.Median(cold):F1}% |");
    }

    private static int[] Tokens(Random random, int count, int vocab) =>
        Enumerable.Range(0, count).Select(_ => random.Next(vocab)).ToArray();

    private static Task<GenerationResult> TtftAsync(IGenerationEngine engine, int[] prompt) =>
        engine.Submit(new GenerationRequest
        {
            RequestId = Guid.NewGuid().ToString("N"),
            PromptTokenIds = prompt,
            Sampling = new SamplingSettings { MaxTokens = 1, Temperature = 0, IgnoreEos = true },
        }).Completion;
}
