using System.Numerics.Tensors;
using LlmQueue.Engine.Cpu.Sampling;
using LlmQueue.Engine.KvCache.Jenga;
using LlmQueue.Engine.Runners;
using LlmQueue.Models;
using LlmQueue.Models.Weights;

namespace LlmQueue.Engine.Cpu;

/// <summary>
/// Decoder forward pass (Llama, Qwen 2/3, Gemma 2/3) on the CPU in f32 over memory-mapped weights
/// (bf16/f16/f32), with a paged KV cache it owns, then sampling of the rows in parallel on the same threads.
/// Family differences arrive as <see cref="ModelConfig"/> feature flags and optional weights. Synchronous:
/// <see cref="Launch"/> does the whole step, <see cref="Collect"/> only hands the batch back. Not thread-safe.
/// </summary>
public sealed unsafe class CpuModelRunner : IModelRunner
{
    private readonly DecoderWeights _weights;
    private readonly CpuWorkerPool _pool;
    private readonly PagedKvCache _cache;
    private readonly MatMulWork _matMul;
    private readonly AttentionWork _attention;
    private readonly RotaryTable[] _rotaryTables;
    private readonly RotaryTable[] _rotaryOfLayer;
    private readonly StepBuffers _buffers;
    private readonly SamplingWork _sampling = new();
    private float[] _logits = [];
    private ForwardBatch? _launched;

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
        (_rotaryTables, _rotaryOfLayer) = RotaryTables(Config);
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

    /// <summary>f32 pages, K then V per layer, heads major.</summary>
    public KvPageFormat KvPageFormat { get; } = new(TensorDType.F32, KvPageFormat.HeadMajorLayout);

    /// <summary>The KV layout this runner uses for <paramref name="config"/>: f32 K/V, one type per (shape, window).</summary>
    public static KvPoolLayout KvLayoutFor(ModelConfig config, int blockSize) => KvPoolLayout.ForModel(config, blockSize, sizeof(float));

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

    public void Launch(ForwardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_launched is not null)
        {
            throw new InvalidOperationException("A step is already in flight: Collect it before the next Launch.");
        }

        var shape = BatchShape.Validate(batch, Config, KvLayout, KvLargePages);
        var vocab = Config.VocabSize;
        if (_logits.Length < shape.LogitRows * vocab)
        {
            _logits = new float[shape.LogitRows * vocab];
        }

        batch.Outputs.Reset(shape.LogitRows);
        Forward(batch, shape, _logits.AsSpan(0, shape.LogitRows * vocab));
        _sampling.Run(_pool, batch, _logits, vocab);
        // In flight only once it ran: a failed Launch leaves nothing to collect.
        _launched = batch;
    }

    public void Collect(ForwardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!ReferenceEquals(batch, _launched))
        {
            throw new InvalidOperationException("Collect needs the batch of the step in flight.");
        }

        _launched = null;
    }

    /// <summary>
    /// The forward pass alone: K/V written, and one row of logits per chunk with NeedsLogits (after the final
    /// softcap) in <paramref name="logits"/>, nothing sampled. For tests and tools that compare logits.
    /// </summary>
    public void ComputeLogits(ForwardBatch batch, Span<float> logits)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var shape = BatchShape.Validate(batch, Config, KvLayout, KvLargePages);
        if (logits.Length < (long)shape.LogitRows * Config.VocabSize)
        {
            throw new ArgumentException($"logits has {logits.Length} floats; {shape.LogitRows} rows of vocab {Config.VocabSize} are needed.", nameof(logits));
        }

        Forward(batch, shape, logits);
    }

    private void Forward(ForwardBatch batch, BatchShape layout, Span<float> logits)
    {
        if (layout.Tokens == 0)
        {
            return;
        }

        _buffers.EnsureTokens(layout.Tokens);
        int maxContext = LayoutTokens(batch);
        _attention.Prepare(batch, _buffers.Positions, _buffers.SequenceOf, maxContext);
        Embed(batch);
        foreach (var table in _rotaryTables)
        {
            table.Fill(_buffers.Positions.AsSpan(0, layout.Tokens));
        }

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
        _launched = null;
        _pool.Dispose();
        _matMul.Dispose();
        _cache.Dispose();
        _buffers.Dispose();
        foreach (var table in _rotaryTables)
        {
            table.Dispose();
        }
    }

    /// <summary>One table per distinct RoPE (Gemma 3 has a local and a global one), and each layer's table.</summary>
    private static (RotaryTable[] Tables, RotaryTable[] OfLayer) RotaryTables(ModelConfig config)
    {
        var bySpec = new Dictionary<RopeSpec, RotaryTable>();
        var ofLayer = new RotaryTable[config.NumLayers];
        for (int layer = 0; layer < ofLayer.Length; layer++)
        {
            var spec = config.RopeOf(layer);
            if (!bySpec.TryGetValue(spec, out var table))
            {
                table = bySpec[spec] = new RotaryTable(new RotaryEmbedding(config.HeadDim, spec), config.HeadDim);
            }

            ofLayer[layer] = table;
        }

        return ([.. bySpec.Values], ofLayer);
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
                var row = _buffers.Hidden.Slice((long)t++ * hidden, hidden);
                _weights.Embedding.ReadRow(token, row);
                if (_weights.EmbeddingScale != 1f)
                {
                    TensorPrimitives.Multiply(row, _weights.EmbeddingScale, row);
                }
            }
        }
    }

    private void AttentionBlock(ForwardBatch batch, int layer, int tokens)
    {
        var weights = _weights.Layers[layer];
        NormRows(_buffers.Hidden, weights.AttentionInputNorm, tokens, _buffers.Normed);
        _matMul.Run(
            _buffers.Normed.Pointer,
            tokens,
            new MatMulTarget(weights.QProj, _buffers.Queries.Pointer),
            new MatMulTarget(weights.KProj, _buffers.Keys.Pointer),
            new MatMulTarget(weights.VProj, _buffers.Values.Pointer));
        AddBias(_buffers.Queries, weights.QBias, tokens);
        AddBias(_buffers.Keys, weights.KBias, tokens);
        AddBias(_buffers.Values, weights.VBias, tokens);
        if (weights.QNorm is not null && weights.KNorm is not null)
        {
            // Per head, before RoPE.
            NormRows(_buffers.Queries, weights.QNorm, tokens * Config.NumHeads, _buffers.Queries);
            NormRows(_buffers.Keys, weights.KNorm, tokens * Config.NumKvHeads, _buffers.Keys);
        }

        RotateAndStore(batch, layer, tokens);
        _attention.Run(layer, _buffers.Queries.Pointer, _buffers.Attention.Pointer, tokens);
        _matMul.Run(_buffers.Attention.Pointer, tokens, new MatMulTarget(weights.OProj, _buffers.Projected.Pointer));
        AddBias(_buffers.Projected, weights.OBias, tokens);
        AddSubBlockOutput(weights.AttentionOutputNorm, tokens);
    }

    /// <summary>Applies RoPE to q and k, then writes k and v into each token's slot in the page of the layer's type.</summary>
    private void RotateAndStore(ForwardBatch batch, int layer, int tokens)
    {
        int qWidth = Config.NumHeads * Config.HeadDim;
        int kvWidth = Config.NumKvHeads * Config.HeadDim;
        int type = KvLayout.TypeOfLayer(layer);
        var rotary = _rotaryOfLayer[layer];
        for (int t = 0; t < tokens; t++)
        {
            var key = _buffers.Keys.Slice((long)t * kvWidth, kvWidth);
            rotary.Rotate(t, _buffers.Queries.Slice((long)t * qWidth, qWidth));
            rotary.Rotate(t, key);
            int position = _buffers.Positions[t];
            int page = batch.Sequences[_buffers.SequenceOf[t]].BlockTable(type, KvLayout.TypeCount)[position / BlockSize];
            _cache.Write(layer, page, position % BlockSize, key, _buffers.Values.Slice((long)t * kvWidth, kvWidth));
        }
    }

    private void MlpBlock(int layer, int tokens)
    {
        var weights = _weights.Layers[layer];
        int inter = Config.IntermediateSize;
        NormRows(_buffers.Hidden, weights.MlpInputNorm, tokens, _buffers.Normed);
        _matMul.Run(
            _buffers.Normed.Pointer,
            tokens,
            new MatMulTarget(weights.GateProj, _buffers.Gate.Pointer),
            new MatMulTarget(weights.UpProj, _buffers.Up.Pointer));
        GatedActivation.Apply(
            Config.Activation,
            new Span<float>(_buffers.Gate.Pointer, tokens * inter),
            new Span<float>(_buffers.Up.Pointer, tokens * inter));
        _matMul.Run(_buffers.Gate.Pointer, tokens, new MatMulTarget(weights.DownProj, _buffers.Projected.Pointer));
        AddSubBlockOutput(weights.MlpOutputNorm, tokens);
    }

    /// <summary>RMSNorm of each row of width gain.Length; <paramref name="destination"/> may be <paramref name="source"/>.</summary>
    private void NormRows(NativeFloatBuffer source, float[] gain, int rows, NativeFloatBuffer destination)
    {
        int width = gain.Length;
        for (int r = 0; r < rows; r++)
        {
            RmsNorm.Apply(source.Slice((long)r * width, width), gain, Config.RmsNormEps, destination.Slice((long)r * width, width));
        }
    }

    private static void AddBias(NativeFloatBuffer rows, float[]? bias, int tokens)
    {
        if (bias is null)
        {
            return;
        }

        for (int t = 0; t < tokens; t++)
        {
            var row = rows.Slice((long)t * bias.Length, bias.Length);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <summary>Residual add of a sub-block's output (Projected), normed first under sandwich norms.</summary>
    private void AddSubBlockOutput(float[]? outputNorm, int tokens)
    {
        if (outputNorm is not null)
        {
            NormRows(_buffers.Projected, outputNorm, tokens, _buffers.Projected);
        }

        var hidden = new Span<float>(_buffers.Hidden.Pointer, tokens * Config.HiddenSize);
        TensorPrimitives.Add(hidden, new ReadOnlySpan<float>(_buffers.Projected.Pointer, hidden.Length), hidden);
    }

    /// <summary>Final norm and lm_head (then the final softcap) only for the last token of each chunk that needs logits.</summary>
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
        if (Config.FinalLogitSoftcap is float cap)
        {
            Softcap.Apply(new Span<float>(output, logitRows * Config.VocabSize), cap);
        }
    }
}
