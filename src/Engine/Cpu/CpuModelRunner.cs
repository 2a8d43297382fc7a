using System.Numerics.Tensors;
using LlmQueue.Engine.KvCache.Jenga;
using LlmQueue.Engine.Models;

namespace LlmQueue.Engine.Cpu;

/// <summary>
/// Llama forward pass on the CPU in f32 over memory-mapped weights (bf16/f16/f32), with a paged KV
/// cache it owns. Not thread-safe: one engine loop calls <see cref="Execute"/> at a time.
/// </summary>
public sealed unsafe class CpuModelRunner : IModelRunner
{
    private readonly LlamaWeights _weights;
    private readonly CpuWorkerPool _pool;
    private readonly PagedKvCache _cache;
    private readonly MatMulWork _matMul;
    private readonly AttentionWork _attention;
    private readonly RotaryEmbedding _rope;
    private readonly StepBuffers _buffers;

    /// <param name="model">Loaded checkpoint; must outlive the runner.</param>
    /// <param name="blockSize">Tokens per KV block.</param>
    /// <param name="largePages">KV memory in large pages of <see cref="KvLayoutFor"/> (for a model with one layer type, one block each).</param>
    /// <param name="threads">Compute threads; 0 = all cores.</param>
    public CpuModelRunner(LlamaModel model, int blockSize, int largePages, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(largePages);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        Config = model.Config;
        BlockSize = blockSize;
        KvLayout = KvLayoutFor(Config, blockSize);
        KvLargePages = largePages;
        _weights = model.Weights;
        _rope = new RotaryEmbedding(Config.HeadDim, Config.RopeTheta);
        _buffers = new StepBuffers(Config);
        _cache = new PagedKvCache(KvLayout, largePages, Config.NumKvHeads, Config.HeadDim);
        _pool = new CpuWorkerPool(threads);
        _matMul = new MatMulWork(_pool);
        _attention = new AttentionWork(_pool, _cache, KvLayout, Config);
    }

    public ModelConfig Config { get; }

    public int BlockSize { get; }

    public KvPoolLayout KvLayout { get; }

    public int KvLargePages { get; }

    /// <summary>The KV layout this runner uses for <paramref name="config"/>: f32 K/V, one type per (shape, window).</summary>
    public static KvPoolLayout KvLayoutFor(ModelConfig config, int blockSize) => KvPoolFactory.LayoutFor(config, blockSize, sizeof(float));

    public void ReadKvPage(int type, int page, Span<byte> destination) => _cache.Page(type, page).CopyTo(destination);

    public void WriteKvPage(int type, int page, ReadOnlySpan<byte> source)
    {
        var target = _cache.Page(type, page);
        if (source.Length != target.Length)
        {
            throw new ArgumentException($"KV page of type {type} has {target.Length} bytes; got {source.Length}.", nameof(source));
        }

        source.CopyTo(target);
    }

    public void Execute(ForwardBatch batch, Span<float> logits)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var layout = BatchLayout.Validate(batch, Config, KvLayout, KvLargePages, logits.Length);
        if (layout.Tokens == 0)
        {
            return;
        }

        _buffers.EnsureTokens(layout.Tokens);
        int maxContext = LayoutTokens(batch);
        _attention.Prepare(batch, _buffers.Positions, _buffers.SequenceOf, maxContext);
        Embed(batch);
        FillRotaryAngles(layout.Tokens);
        for (int layer = 0; layer < Config.NumLayers; layer++)
        {
            AttentionBlock(batch, layer, layout.Tokens);
            MlpBlock(layer, layout.Tokens);
        }

        fixed (float* output = logits)
        {
            ComputeLogits(batch, layout.LogitRows, output);
        }
    }

    public void Dispose()
    {
        _pool.Dispose();
        _matMul.Dispose();
        _cache.Dispose();
        _buffers.Dispose();
    }

    /// <summary>Fills per-token position and sequence index; returns the longest context in the step.</summary>
    private int LayoutTokens(ForwardBatch batch)
    {
        int t = 0;
        int maxContext = 0;
        for (int s = 0; s < batch.Sequences.Count; s++)
        {
            var chunk = batch.Sequences[s];
            for (int i = 0; i < chunk.Tokens.Length; i++, t++)
            {
                _buffers.Positions[t] = chunk.StartPosition + i;
                _buffers.SequenceOf[t] = s;
            }

            maxContext = Math.Max(maxContext, chunk.StartPosition + chunk.Tokens.Length);
        }

        return maxContext;
    }

    private void Embed(ForwardBatch batch)
    {
        int hidden = Config.HiddenSize;
        int t = 0;
        foreach (var chunk in batch.Sequences)
        {
            foreach (int token in chunk.Tokens.Span)
            {
                _weights.Embedding.ReadRow(token, _buffers.Hidden.Slice((long)t++ * hidden, hidden));
            }
        }
    }

    private void FillRotaryAngles(int tokens)
    {
        int half = _rope.Half;
        for (int t = 0; t < tokens; t++)
        {
            _rope.Angles(_buffers.Positions[t], _buffers.Cos.Slice((long)t * half, half), _buffers.Sin.Slice((long)t * half, half));
        }
    }

    private void AttentionBlock(ForwardBatch batch, int layer, int tokens)
    {
        var weights = _weights.Layers[layer];
        NormRows(_buffers.Hidden, weights.InputNorm, tokens);
        _matMul.Run(
            _buffers.Normed.Pointer,
            tokens,
            new MatMulTarget(weights.QProj, _buffers.Queries.Pointer),
            new MatMulTarget(weights.KProj, _buffers.Keys.Pointer),
            new MatMulTarget(weights.VProj, _buffers.Values.Pointer));
        RotateAndStore(batch, layer, tokens);
        _attention.Run(layer, _buffers.Queries.Pointer, _buffers.Attention.Pointer, tokens);
        _matMul.Run(_buffers.Attention.Pointer, tokens, new MatMulTarget(weights.OProj, _buffers.Projected.Pointer));
        AddResidual(tokens);
    }

    /// <summary>Applies RoPE to q and k, then writes k and v into each token's slot in the page of the layer's type.</summary>
    private void RotateAndStore(ForwardBatch batch, int layer, int tokens)
    {
        int qWidth = Config.NumHeads * Config.HeadDim;
        int kvWidth = Config.NumKvHeads * Config.HeadDim;
        int half = _rope.Half;
        int type = KvLayout.TypeOfLayer(layer);
        for (int t = 0; t < tokens; t++)
        {
            var cos = _buffers.Cos.Slice((long)t * half, half);
            var sin = _buffers.Sin.Slice((long)t * half, half);
            var key = _buffers.Keys.Slice((long)t * kvWidth, kvWidth);
            RotaryEmbedding.Apply(_buffers.Queries.Slice((long)t * qWidth, qWidth), Config.HeadDim, cos, sin);
            RotaryEmbedding.Apply(key, Config.HeadDim, cos, sin);
            int position = _buffers.Positions[t];
            int page = batch.Sequences[_buffers.SequenceOf[t]].BlockTable(type, KvLayout.TypeCount)[position / BlockSize];
            _cache.Write(layer, page, position % BlockSize, key, _buffers.Values.Slice((long)t * kvWidth, kvWidth));
        }
    }

    private void MlpBlock(int layer, int tokens)
    {
        var weights = _weights.Layers[layer];
        int inter = Config.IntermediateSize;
        NormRows(_buffers.Hidden, weights.PostAttentionNorm, tokens);
        _matMul.Run(
            _buffers.Normed.Pointer,
            tokens,
            new MatMulTarget(weights.GateProj, _buffers.Gate.Pointer),
            new MatMulTarget(weights.UpProj, _buffers.Up.Pointer));
        // silu(g) * u = g * sigmoid(g) * u, computed in place in Gate.
        var gate = new Span<float>(_buffers.Gate.Pointer, tokens * inter);
        var up = new Span<float>(_buffers.Up.Pointer, tokens * inter);
        TensorPrimitives.Multiply(gate, up, up);
        TensorPrimitives.Sigmoid(gate, gate);
        TensorPrimitives.Multiply(gate, up, gate);
        _matMul.Run(_buffers.Gate.Pointer, tokens, new MatMulTarget(weights.DownProj, _buffers.Projected.Pointer));
        AddResidual(tokens);
    }

    private void NormRows(NativeFloatBuffer source, float[] weight, int tokens)
    {
        int hidden = Config.HiddenSize;
        for (int t = 0; t < tokens; t++)
        {
            RmsNorm.Apply(source.Slice((long)t * hidden, hidden), weight, Config.RmsNormEps, _buffers.Normed.Slice((long)t * hidden, hidden));
        }
    }

    private void AddResidual(int tokens)
    {
        var hidden = new Span<float>(_buffers.Hidden.Pointer, tokens * Config.HiddenSize);
        TensorPrimitives.Add(hidden, new ReadOnlySpan<float>(_buffers.Projected.Pointer, hidden.Length), hidden);
    }

    /// <summary>Final norm and lm_head only for the last token of each chunk that needs logits.</summary>
    private void ComputeLogits(ForwardBatch batch, int logitRows, float* output)
    {
        if (logitRows == 0)
        {
            return;
        }

        int hidden = Config.HiddenSize;
        int row = 0;
        int lastToken = -1;
        foreach (var chunk in batch.Sequences)
        {
            lastToken += chunk.Tokens.Length;
            if (chunk.NeedsLogits)
            {
                RmsNorm.Apply(_buffers.Hidden.Slice((long)lastToken * hidden, hidden), _weights.FinalNorm, Config.RmsNormEps, _buffers.Normed.Slice((long)row++ * hidden, hidden));
            }
        }

        _matMul.Run(_buffers.Normed.Pointer, logitRows, new MatMulTarget(_weights.LmHead, output));
    }
}
