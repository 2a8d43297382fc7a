using LlmQueue.Engine.Cpu;
using LlmQueue.Engine.KvCache.Jenga;
using LlmQueue.Models;
using LlmQueue.Engine.Runners;

namespace LlmQueue.Engine.Tests.Cpu;

/// <summary>
/// Drives a <see cref="CpuModelRunner"/> like the engine does: pages come from the real KV pool over the runner's
/// arena (per layer type, sliding-window pages released after each step), and the pool's free list is shuffled
/// first so block tables are non-contiguous. Builds chunks and collects logits rows.
/// </summary>
internal sealed class RunnerHarness : IDisposable
{
    private readonly JengaKvCache _pool;
    private readonly Dictionary<int, KvSequence> _sequences = [];
    private readonly Dictionary<int, List<int>> _tokens = [];

    /// <param name="numBlocks">KV memory in large pages (one block each for a model with one layer type).</param>
    public RunnerHarness(LlamaModel model, int blockSize, int numBlocks, int seed)
    {
        Runner = new CpuModelRunner(model, blockSize, numBlocks, threads: 2);
        _pool = KvPoolFactory.ForRunner(Runner, "harness", enablePrefixCaching: false);
        ShuffleFreePages(seed);
    }

    public CpuModelRunner Runner { get; }

    /// <summary>Runs one step; each entry appends tokens to a sequence. Returns logits rows keyed by sequence id.</summary>
    public Dictionary<int, float[]> Step(params (int Sequence, int[] Tokens, bool NeedsLogits)[] work)
    {
        var batch = new ForwardBatch();
        foreach (var (id, tokens, needsLogits) in work)
        {
            var sequence = _sequences.TryGetValue(id, out var s) ? s : _sequences[id] = _pool.CreateSequence();
            var start = sequence.ComputedTokens;
            if (!_pool.TryAllocate(sequence, tokens.Length))
            {
                throw new InvalidOperationException($"harness: the KV pool has no room for {tokens.Length} more tokens of sequence {id}.");
            }

            var tables = Enumerable.Range(0, Runner.KvLayout.TypeCount).SelectMany(t => sequence.BlockTable(t).ToArray()).ToArray();
            batch.Sequences.Add(new SequenceChunk(tokens, start, tables, needsLogits));
        }

        int vocab = Runner.Config.VocabSize;
        var logits = new float[batch.LogitRows * vocab];
        Runner.Execute(batch, logits);
        var result = new Dictionary<int, float[]>();
        int row = 0;
        foreach (var (id, tokens, needsLogits) in work)
        {
            var all = _tokens.TryGetValue(id, out var list) ? list : _tokens[id] = [];
            all.AddRange(tokens);
            _pool.Commit(_sequences[id], all.ToArray(), all.Count);
            if (needsLogits)
            {
                result[id] = logits.AsSpan(row++ * vocab, vocab).ToArray();
            }
        }

        return result;
    }

    public void Dispose() => Runner.Dispose();

    /// <summary>Takes every large page with one-block sequences, then frees them in random order.</summary>
    private void ShuffleFreePages(int seed)
    {
        var fillers = new List<KvSequence>();
        while (true)
        {
            var filler = _pool.CreateSequence();
            if (!_pool.TryAllocate(filler, _pool.Layout.BlockTokens))
            {
                break;
            }

            fillers.Add(filler);
        }

        var order = fillers.ToArray();
        new Random(seed).Shuffle(order);
        foreach (var filler in order)
        {
            _pool.Free(filler);
        }
    }
}
