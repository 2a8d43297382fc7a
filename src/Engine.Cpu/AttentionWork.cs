using LlmQueue.Engine.KvCache.Jenga;
using LlmQueue.Engine.Runners;
using LlmQueue.Models;

namespace LlmQueue.Engine.Cpu;

/// <summary>
/// Paged attention for every (token, KV head) of a step, one pool item each: the query heads of a
/// GQA group run back to back in one item, so the group's K/V rows are read from DRAM/L2 once and
/// then hit L1 for the other heads, and the pool hands out a third as many items.
/// </summary>
internal sealed unsafe class AttentionWork : IParallelWork
{
    // Per-worker score scratch is over-allocated by a cache line so two workers' arrays, which the GC
    // may place back to back, never share a line (both are written for every position).
    private const int ScratchPadding = 16;

    private readonly CpuWorkerPool _pool;
    private readonly PagedKvCache _cache;
    private readonly KvPoolLayout _layout;
    private readonly int _heads;
    private readonly int _headDim;
    private readonly int _groupSize;
    private readonly float _scale;
    private readonly float _softcap;
    private readonly float[][] _scores;
    private ForwardBatch? _batch;
    private int[] _positions = [];
    private int[] _sequenceOf = [];
    private KvLayerView _kv;
    private int _type;
    private int? _window;
    private float* _queries;
    private float* _output;

    public AttentionWork(CpuWorkerPool pool, PagedKvCache cache, KvPoolLayout layout, ModelConfig config)
    {
        _pool = pool;
        _cache = cache;
        _layout = layout;
        _heads = config.NumHeads;
        _headDim = config.HeadDim;
        _groupSize = config.NumHeads / config.NumKvHeads;
        _scale = config.AttentionScale;
        _softcap = config.AttentionSoftcap ?? 0f;
        _scores = new float[pool.Workers][];
        Array.Fill(_scores, []);
    }

    /// <summary>Sets the step's token layout; <paramref name="maxContext"/> sizes the per-thread score scratch.</summary>
    public void Prepare(ForwardBatch batch, int[] positions, int[] sequenceOf, int maxContext)
    {
        _batch = batch;
        _positions = positions;
        _sequenceOf = sequenceOf;
        for (int i = 0; i < _scores.Length; i++)
        {
            if (_scores[i].Length < maxContext + ScratchPadding)
            {
                _scores[i] = new float[Math.Max(maxContext, _scores[i].Length * 2) + ScratchPadding];
            }
        }
    }

    /// <summary>output[t, h] = attention of queries[t, h] over the positions up to position(t) of t's sequence the layer sees.</summary>
    public void Run(int layer, float* queries, float* output, int tokens)
    {
        _kv = _cache.Layer(layer);
        _type = _layout.TypeOfLayer(layer);
        _window = _layout.Types[_type].SlidingWindow;
        _queries = queries;
        _output = output;
        _pool.Run(this, tokens * _cache.KvHeads);
    }

    public void Execute(int item, int worker)
    {
        int token = item / _cache.KvHeads;
        int kvHead = item % _cache.KvHeads;
        var blockTable = _batch!.Sequences[_sequenceOf[token]].BlockTable(_type, _layout.TypeCount);
        int contextLength = _positions[token] + 1;
        int firstPosition = _window is { } window ? Math.Max(0, contextLength - window) : 0;
        for (int head = kvHead * _groupSize; head < (kvHead + 1) * _groupSize; head++)
        {
            long offset = (((long)token * _heads) + head) * _headDim;
            PagedAttention.Attend(
                new ReadOnlySpan<float>(_queries + offset, _headDim),
                _kv,
                kvHead,
                blockTable,
                firstPosition,
                contextLength,
                _scale,
                _softcap,
                _scores[worker],
                new Span<float>(_output + offset, _headDim));
        }
    }
}
