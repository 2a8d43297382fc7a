using LlmQueue.Engine.KvCache.Jenga;
using LlmQueue.Engine.Runners;

namespace LlmQueue.TestKit;

/// <summary>One chunk of a harness step: tokens appended to a sequence; with sampling parameters the step samples after it.</summary>
public readonly record struct HarnessChunk(int Sequence, int[] Tokens, SamplingParameters? Sampling = null);

/// <summary>What a runner returned for one sampled row.</summary>
public sealed record SampledRow(int Token, float Logprob, int[] TopTokenIds, float[] TopLogprobs);

/// <summary>
/// Drives any <see cref="IModelRunner"/> like the engine does: pages come from the real KV pool over the runner's
/// memory (per layer type, sliding-window pages released after each step), and the pool's free list is shuffled
/// first so block tables are non-contiguous. A sequence's prompt is everything appended before its first sampled step.
/// </summary>
public sealed class RunnerHarness : IDisposable
{
    private readonly Dictionary<int, KvSequence> _sequences = [];
    private readonly Dictionary<int, List<int>> _tokens = [];
    private readonly Dictionary<int, int> _promptLengths = [];

    /// <summary>The harness owns <paramref name="runner"/> and disposes it.</summary>
    public RunnerHarness(IModelRunner runner, int shuffleSeed)
    {
        ArgumentNullException.ThrowIfNull(runner);
        Runner = runner;
        Pool = new JengaKvCache(runner.KvLayout, runner.KvLargePages * runner.KvLayout.LargePageBytes, "harness", enablePrefixCaching: false);
        ShuffleFreePages(shuffleSeed);
    }

    public IModelRunner Runner { get; }

    public JengaKvCache Pool { get; }

    /// <summary>Greedy, with the most logprobs a row can ask for: what logits checks sample with.</summary>
    public static SamplingParameters GreedyWithLogprobs { get; } = new() { Temperature = 0, Logprobs = SamplingParameters.MaxLogprobs };

    public IReadOnlyList<int> Tokens(int sequence) => _tokens[sequence];

    public int PromptLength(int sequence) => _promptLengths[sequence];

    /// <summary>Runs one step through the contract (Launch, Collect). Returns each sampled row's outputs by sequence.</summary>
    public Dictionary<int, SampledRow> Step(params HarnessChunk[] work)
    {
        var batch = Build(work);
        var outputs = Runner.Execute(batch);
        var result = new Dictionary<int, SampledRow>();
        var row = 0;
        foreach (var chunk in work.Where(c => c.Sampling is not null))
        {
            var count = Math.Max(0, chunk.Sampling!.Logprobs);
            result[chunk.Sequence] = new SampledRow(
                outputs.SampledTokens[row], outputs.SampledLogprobs[row], outputs.TopTokenIds(row)[..count].ToArray(), outputs.TopLogprobs(row)[..count].ToArray());
            row++;
        }

        Commit(work);
        return result;
    }

    /// <summary>
    /// Runs one step through a backend's own logits entry point (<paramref name="forward"/> fills one row per sampled
    /// chunk); for backend tests that compare logits. Returns each sampled chunk's logits by sequence.
    /// </summary>
    public Dictionary<int, float[]> StepLogits(Action<ForwardBatch, float[]> forward, params HarnessChunk[] work)
    {
        ArgumentNullException.ThrowIfNull(forward);
        var batch = Build(work);
        var vocab = Runner.Config.VocabSize;
        var logits = new float[batch.Sampling.Count * vocab];
        forward(batch, logits);
        var result = new Dictionary<int, float[]>();
        var row = 0;
        foreach (var chunk in work.Where(c => c.Sampling is not null))
        {
            result[chunk.Sequence] = logits.AsSpan(row++ * vocab, vocab).ToArray();
        }

        Commit(work);
        return result;
    }

    /// <summary>
    /// Gives sequence <paramref name="copy"/> fresh pages holding <paramref name="source"/>'s block-aligned K/V, copied
    /// with ReadKvPage and WriteKvPage, as the remote tier loads blocks (sliding types only inside the window).
    /// </summary>
    public void CopyThroughPages(int source, int copy)
    {
        var from = _sequences[source];
        var blockTokens = Pool.Layout.BlockTokens;
        var blocks = from.ComputedTokens / blockTokens;
        var to = Pool.CreateSequence();
        if (!Pool.TryAllocateExternal(to, blocks))
        {
            throw new InvalidOperationException($"harness: no room for a copy of {blocks} blocks.");
        }

        for (var type = 0; type < Pool.Layout.TypeCount; type++)
        {
            var bytes = new byte[Pool.Layout.SmallPageBytes(type)];
            for (var block = 0; block < blocks; block++)
            {
                var target = to.BlockTable(type)[block];
                if (target >= 0)
                {
                    Runner.ReadKvPage(type, from.BlockTable(type)[block], bytes);
                    Runner.WriteKvPage(type, target, bytes);
                }
            }
        }

        _sequences[copy] = to;
        _tokens[copy] = [.. _tokens[source].Take(blocks * blockTokens)];
    }

    public void Dispose() => Runner.Dispose();

    private ForwardBatch Build(HarnessChunk[] work)
    {
        var batch = new ForwardBatch();
        var types = Runner.KvLayout.TypeCount;
        foreach (var (id, tokens, sampling) in work)
        {
            var sequence = _sequences.TryGetValue(id, out var s) ? s : _sequences[id] = Pool.CreateSequence();
            var all = _tokens.TryGetValue(id, out var list) ? list : _tokens[id] = [];
            var start = sequence.ComputedTokens;
            if (!Pool.TryAllocate(sequence, tokens.Length))
            {
                throw new InvalidOperationException($"harness: the KV pool has no room for {tokens.Length} more tokens of sequence {id}.");
            }

            var tables = Enumerable.Range(0, types).SelectMany(t => sequence.BlockTable(t).ToArray()).ToArray();
            var chunk = new SequenceChunk(tokens, start, tables, sampling is not null);
            if (sampling is null)
            {
                batch.Add(chunk);
                continue;
            }

            var history = all.Concat(tokens).ToArray();
            var promptLength = _promptLengths.TryGetValue(id, out var known) ? known : _promptLengths[id] = history.Length;
            batch.Add(chunk, new SamplingRow(sampling, history, promptLength));
        }

        return batch;
    }

    private void Commit(HarnessChunk[] work)
    {
        foreach (var (id, tokens, _) in work)
        {
            var all = _tokens[id];
            all.AddRange(tokens);
            Pool.Commit(_sequences[id], all.ToArray(), all.Count);
        }
    }

    /// <summary>Takes every large page with one-block sequences, then frees them in random order.</summary>
    private void ShuffleFreePages(int seed)
    {
        var fillers = new List<KvSequence>();
        while (true)
        {
            var filler = Pool.CreateSequence();
            if (!Pool.TryAllocate(filler, Pool.Layout.BlockTokens))
            {
                break;
            }

            fillers.Add(filler);
        }

        var order = fillers.ToArray();
        new Random(seed).Shuffle(order);
        foreach (var filler in order)
        {
            Pool.Free(filler);
        }
    }
}
