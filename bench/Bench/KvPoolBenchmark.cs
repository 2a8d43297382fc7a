using System.Diagnostics;
using LlmQueue.Engine.KvCache.Jenga;

namespace LlmQueue.Bench;

/// <summary>
/// KV pool capacity and bookkeeping cost (no model math). For Gemma-shaped and Llama-shaped layouts and a
/// fixed KV byte budget: how many requests of 1k / 8k / 32k tokens fit with (a) uniform paging (every
/// layer keeps every token) and (b) the Jenga pool, beside the analytical optimum (budget / live bytes per
/// request), the share of allocated bytes that hold live tokens, and the large-page fragmentation (free
/// bytes stranded in other types' large pages when an allocation is refused). Then a mixed page-size pool
/// and the per-step cost of allocate + commit (hash) + free for 256 running requests.
/// </summary>
internal static class KvPoolBenchmark
{
    private const int BlockTokens = 16;
    private const int PrefillChunk = 512;

    public static void Run(bool smoke, TextWriter output)
    {
        var budget = smoke ? 1L << 30 : 16L << 30;
        int[] lengths = smoke ? [1024] : [1024, 8192, 32768];
        output.WriteLine($"KV budget {budget >> 30} GiB, blocks of {BlockTokens} tokens, prefill chunks of {PrefillChunk}, bf16 KV unless noted");
        output.WriteLine("| shape | tokens | optimum | (a) uniform | (a) util | (b) jenga | (b) util | (b) / optimum | (b) fragmentation |");
        output.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (name, layers) in Shapes())
        {
            var jenga = KvPoolLayout.FromLayers(layers, BlockTokens);
            var uniform = KvPoolLayout.FromLayers([.. layers.Select(l => l with { SlidingWindow = null })], BlockTokens);
            foreach (var length in lengths)
            {
                var live = LiveBytes(jenga, length);
                var optimum = budget / live;
                var a = Fill(uniform, budget, [length], live);
                var b = Fill(jenga, budget, [length], live);
                output.WriteLine($"| {name} | {length} | {optimum} | {a.Requests} | {a.Utilisation:P1} | {b.Requests} | {b.Utilisation:P1} | {(double)b.Requests / optimum:P1} | {b.Fragmentation:P2} |");
            }
        }

        MixedPageSizes(budget, smoke, output);
        StepCost(smoke, output);
    }

    private static IEnumerable<(string Name, List<KvLayerSpec> Layers)> Shapes()
    {
        yield return ("gemma-3-270m", [.. Enumerable.Range(0, 18).Select(i => new KvLayerSpec(1, 256, 2, i % 6 == 5 ? null : 512))]);
        yield return ("gemma-3-1b", [.. Enumerable.Range(0, 26).Select(i => new KvLayerSpec(1, 256, 2, i % 6 == 5 ? null : 512))]);
        yield return ("gemma-2-2b", [.. Enumerable.Range(0, 26).Select(i => new KvLayerSpec(4, 256, 2, i % 2 == 0 ? 4096 : null))]);
        yield return ("Llama-3.2-1B", [.. Enumerable.Range(0, 16).Select(_ => new KvLayerSpec(8, 64, 2))]);
    }

    /// <summary>Bytes a request of <paramref name="length"/> tokens must keep: every token for full layers, the window for sliding ones.</summary>
    private static long LiveBytes(KvPoolLayout layout, long length) =>
        layout.Types.Sum(t => t.LayerCount * t.BytesPerTokenPerLayer * t.LiveTokens(length));

    /// <summary>Admits requests (lengths cycled) by chunked prefill until the pool refuses one.</summary>
    private static (int Requests, double Utilisation, double Fragmentation) Fill(KvPoolLayout layout, long budget, int[] lengths, long liveBytes)
    {
        var pool = new JengaKvCache(layout, budget, "bench", enablePrefixCaching: false);
        var tokens = new int[lengths.Max()];
        long live = 0;
        for (var admitted = 0; ; admitted++)
        {
            var length = lengths[admitted % lengths.Length];
            var sequence = pool.CreateSequence();
            while (sequence.ComputedTokens < length)
            {
                var count = Math.Min(PrefillChunk, length - sequence.ComputedTokens);
                if (!pool.TryAllocate(sequence, count))
                {
                    var fragmentation = (double)pool.FreeBytes / pool.CapacityBytes;
                    pool.Free(sequence);
                    var allocated = pool.CapacityBytes - pool.FreeBytes;
                    return (admitted, live / (double)allocated, fragmentation);
                }

                pool.Commit(sequence, tokens, sequence.ComputedTokens + count);
            }

            live += lengths.Length == 1 ? liveBytes : LiveBytes(layout, length);
        }
    }

    private static void MixedPageSizes(long budget, bool smoke, TextWriter output)
    {
        // Full-attention layers with head_dim 128 in bf16 beside sliding layers with head_dim 64 in fp8: 4x apart per token.
        List<KvLayerSpec> layers = [.. Enumerable.Range(0, 24).Select(i => i % 2 == 0 ? new KvLayerSpec(8, 128, 2) : new KvLayerSpec(8, 64, 1, 1024))];
        var layout = KvPoolLayout.FromLayers(layers, BlockTokens);
        var rng = new Random(7);
        var lengths = Enumerable.Range(0, 64).Select(_ => rng.Next(1024, smoke ? 4096 : 32768)).ToArray();
        var optimum = 0;
        for (long used = 0; used + LiveBytes(layout, lengths[optimum % lengths.Length]) <= budget; optimum++)
        {
            used += LiveBytes(layout, lengths[optimum % lengths.Length]);
        }

        var result = Fill(layout, budget, lengths, 0);
        output.WriteLine();
        output.WriteLine($"mixed page sizes (12 full hd128 bf16 + 12 sliding-1024 hd64 fp8; small pages {layout.SmallPageBytes(0) >> 10} / {layout.SmallPageBytes(1) >> 10} KiB, large {layout.LargePageBytes >> 10} KiB), lengths 1k-32k:");
        output.WriteLine($"requests {result.Requests} (optimum {optimum}, {(double)result.Requests / optimum:P1}), utilisation {result.Utilisation:P1}, large-page fragmentation {result.Fragmentation:P2}");
    }

    /// <summary>256 decoding requests (1k-token prompts sharing a 512-token prefix); each step allocates one token per request and commits it (hashing each completed block); finished requests are freed and replaced by new ones, whose prefix lookup and 1k-token prefill bookkeeping land in that step.</summary>
    private static void StepCost(bool smoke, TextWriter output)
    {
        const int running = 256;
        const int prompt = 1024;
        var layout = KvPoolLayout.FromLayers([.. Enumerable.Range(0, 26).Select(i => new KvLayerSpec(1, 256, 2, i % 6 == 5 ? null : 512))], BlockTokens);
        var pool = new JengaKvCache(layout, 16L << 30, "bench");
        var rng = new Random(1);
        var shared = Enumerable.Range(0, 512).Select(_ => rng.Next(262144)).ToArray();
        var sequences = new KvSequence[running];
        var tokens = new int[running][];
        var ends = new int[running];
        // Upcoming requests' tokens are drawn outside the timed steps: making up prompts is not bookkeeping.
        var upcoming = new Queue<int[]>();
        for (var i = 0; i < running; i++)
        {
            TopUp();
            Start(i);
        }

        var steps = smoke ? 20 : 2000;
        var decodeOnly = new List<double>(steps);
        var withAdmission = new List<double>(steps);
        for (var step = 0; step < steps; step++)
        {
            var admitted = false;
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < running; i++)
            {
                var sequence = sequences[i];
                if (sequence.ComputedTokens >= ends[i])
                {
                    pool.Free(sequence);
                    Start(i);
                    admitted = true;
                    continue;
                }

                if (!pool.TryAllocate(sequence, 1))
                {
                    throw new InvalidOperationException("step-cost pool too small");
                }

                pool.Commit(sequence, tokens[i], sequence.ComputedTokens + 1);
            }

            (admitted ? withAdmission : decodeOnly).Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            TopUp();
        }

        output.WriteLine();
        output.WriteLine($"bookkeeping per engine step, {running} running requests (gemma-3-1b layout, prefix caching on), {pool.CachedBlocks} cached blocks at the end:");
        output.WriteLine($"  decode-only steps: median {Stats.Median(decodeOnly):F1} us, p99 {Stats.Percentile(decodeOnly, 0.99):F1} us ({decodeOnly.Count} steps)");
        output.WriteLine($"  steps that also admit 1k-token prompts (prefix lookup + 64 block hashes each): median {Stats.Median(withAdmission):F1} us, p99 {Stats.Percentile(withAdmission, 0.99):F1} us ({withAdmission.Count} steps)");

        void TopUp()
        {
            while (upcoming.Count < 16)
            {
                var length = prompt + rng.Next(128, 512);
                upcoming.Enqueue([.. shared, .. Enumerable.Range(0, length - shared.Length).Select(_ => rng.Next(262144))]);
            }
        }

        void Start(int i)
        {
            tokens[i] = upcoming.Dequeue();
            ends[i] = tokens[i].Length;
            var sequence = sequences[i] ??= pool.CreateSequence("tenant");
            pool.MatchPrefix(sequence, tokens[i].AsSpan(0, prompt));
            if (!pool.TryAllocate(sequence, prompt - sequence.ComputedTokens))
            {
                throw new InvalidOperationException("step-cost pool too small");
            }

            pool.Commit(sequence, tokens[i], prompt);
        }
    }
}
