using LlmQueue.Engine.Models;

namespace LlmQueue.Engine.Cpu;

/// <summary>Paged attention for every (token, query head) of a step, one pool item each.</summary>
internal sealed unsafe class AttentionWork : IParallelWork
{
    private readonly CpuWorkerPool _pool;
    private readonly PagedKvCache _cache;
    private readonly int _heads;
    private readonly int _headDim;
    private readonly int _groupSize;
    private readonly float _scale;
    private readonly float[][] _scores;
    private ForwardBatch? _batch;
    private int[] _positions = [];
    private int[] _sequenceOf = [];
    private int _layer;
    private float* _queries;
    private float* _output;

    public AttentionWork(CpuWorkerPool pool, PagedKvCache cache, ModelConfig config)
    {
        _pool = pool;
        _cache = cache;
        _heads = config.NumHeads;
        _headDim = config.HeadDim;
        _groupSize = config.NumHeads / config.NumKvHeads;
        _scale = 1f / MathF.Sqrt(config.HeadDim);
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
            if (_scores[i].Length < maxContext)
            {
                _scores[i] = new float[Math.Max(maxContext, _scores[i].Length * 2)];
            }
        }
    }

    /// <summary>output[t, h] = attention of queries[t, h] over positions 0..position(t) of t's sequence.</summary>
    public void Run(int layer, float* queries, float* output, int tokens)
    {
        _layer = layer;
        _queries = queries;
        _output = output;
        _pool.Run(this, tokens * _heads);
    }

    public void Execute(int item, int worker)
    {
        int token = item / _heads;
        int head = item % _heads;
        long offset = (((long)token * _heads) + head) * _headDim;
        PagedAttention.Attend(
            new ReadOnlySpan<float>(_queries + offset, _headDim),
            _cache.Keys(_layer),
            _cache.Values(_layer),
            head / _groupSize,
            _cache.KvHeads,
            _cache.BlockSize,
            _batch!.Sequences[_sequenceOf[token]].BlockTable.Span,
            _positions[token] + 1,
            _scale,
            _scores[worker],
            new Span<float>(_output + offset, _headDim));
    }
}
