using LlmQueue.Engine.Cpu;
using LlmQueue.Engine.Models;

namespace LlmQueue.Engine.Tests.Cpu;

/// <summary>Drives a <see cref="CpuModelRunner"/> like a scheduler would: per-sequence block tables
/// drawn from a shuffled free list (so tables are non-contiguous), chunks and logits rows.</summary>
internal sealed class RunnerHarness : IDisposable
{
    private readonly Stack<int> _freeBlocks;
    private readonly Dictionary<int, List<int>> _tables = [];
    private readonly Dictionary<int, int> _lengths = [];

    public RunnerHarness(LlamaModel model, int blockSize, int numBlocks, int seed)
    {
        Runner = new CpuModelRunner(model, blockSize, numBlocks, threads: 2);
        var order = Enumerable.Range(0, numBlocks).ToArray();
        new Random(seed).Shuffle(order);
        _freeBlocks = new Stack<int>(order);
    }

    public CpuModelRunner Runner { get; }

    /// <summary>Runs one step; each entry appends tokens to a sequence. Returns logits rows keyed by sequence id.</summary>
    public Dictionary<int, float[]> Step(params (int Sequence, int[] Tokens, bool NeedsLogits)[] work)
    {
        var batch = new ForwardBatch();
        foreach (var (sequence, tokens, needsLogits) in work)
        {
            int start = _lengths.GetValueOrDefault(sequence);
            var table = _tables.TryGetValue(sequence, out var t) ? t : _tables[sequence] = [];
            while (table.Count * Runner.BlockSize < start + tokens.Length)
            {
                table.Add(_freeBlocks.Pop());
            }

            _lengths[sequence] = start + tokens.Length;
            batch.Sequences.Add(new SequenceChunk(tokens, start, table.ToArray(), needsLogits));
        }

        int vocab = Runner.Config.VocabSize;
        var logits = new float[batch.LogitRows * vocab];
        Runner.Execute(batch, logits);
        var result = new Dictionary<int, float[]>();
        int row = 0;
        foreach (var (sequence, _, needsLogits) in work)
        {
            if (needsLogits)
            {
                result[sequence] = logits.AsSpan(row++ * vocab, vocab).ToArray();
            }
        }

        return result;
    }

    public void Dispose() => Runner.Dispose();
}
