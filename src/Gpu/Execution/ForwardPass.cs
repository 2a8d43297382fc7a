using LlmQueue.Gpu.Blas;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;
using LlmQueue.Gpu.Planning;

namespace LlmQueue.Gpu.Execution;

/// <summary>
/// The decoder forward pass of one step as a sequence of launches on one stream, over persistent buffers: the step's
/// packed inputs (already copied to <see cref="StepWorkspace.InputBlock"/>) in, one f32 logits row per logits row out
/// (<see cref="StepWorkspace.Logits"/>). Per layer: norm, qkv product, bias + q/k norm + RoPE + KV store, paged
/// attention, o product, residual add fused with the next norm, gate/up product, gated activation, down product,
/// residual add fused with the next layer's input norm. The residual stream stays f32; product inputs are bf16.
/// Issues no host synchronisation, so the same calls can be captured into a graph.
/// </summary>
public sealed class ForwardPass
{
    private readonly IBlasApi _blas;
    private readonly KernelLauncher _kernels;
    private readonly ModelConfig _config;
    private readonly DeviceWeights _weights;
    private readonly KvGeometry _kv;
    private readonly DevicePointer _kvArena;
    private readonly StepWorkspace _workspace;
    private readonly int _multiprocessors;

    public ForwardPass(IBlasApi blas, KernelLauncher kernels, ModelConfig config, DeviceWeights weights, KvGeometry kv, DevicePointer kvArena, StepWorkspace workspace, int multiprocessors)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(kv);
        _blas = blas;
        _kernels = kernels;
        _config = config;
        _weights = weights;
        _kv = kv;
        _kvArena = kvArena;
        _workspace = workspace;
        _multiprocessors = multiprocessors;
        if (config.NumHeads % config.NumKvHeads != 0)
        {
            throw new ArgumentException($"{config.NumHeads} heads do not split into {config.NumKvHeads} KV heads.", nameof(config));
        }

        if (!KernelCatalog.AttentionHeadDims.Contains(config.HeadDim))
        {
            throw new ArgumentException($"head_dim {config.HeadDim} has no paged attention kernel (built for {string.Join(", ", KernelCatalog.AttentionHeadDims)}).", nameof(config));
        }
    }

    /// <summary>Enqueues the whole pass for <paramref name="step"/> (its padded counts) on <paramref name="stream"/>.</summary>
    public void Enqueue(CudaStreamHandle stream, PackedStep step)
    {
        int tokens = step.PaddedTokens;
        var w = _workspace;
        var inputs = w.Inputs;
        int hidden = _config.HiddenSize;
        float eps = _config.RmsNormEps;
        _kernels.EmbedTokens(stream, new EmbedTokensCall(_weights[WeightNames.Embedding], w.Input(inputs.Ids), w.Hidden, tokens, hidden, _weights.EmbeddingScale));
        _kernels.RmsNorm(stream, new RmsNormCall(w.Hidden, DevicePointer.Null, _weights[WeightNames.AttentionInputNorm(0)], w.Normed, tokens, hidden, eps, AddOne: false));
        int parts = AttentionPartitioning.Parts(tokens, _config.NumHeads, _config.NumKvHeads, _multiprocessors, w.PartialTokens);
        for (int layer = 0; layer < _config.NumLayers; layer++)
        {
            Attention(stream, layer, tokens, parts);
            Mlp(stream, layer, tokens);
        }

        int rows = step.PaddedLogitRows;
        if (rows == 0)
        {
            return;
        }

        _kernels.RmsNorm(stream, new RmsNormCall(w.Hidden, w.Input(inputs.LogitRows), _weights[WeightNames.FinalNorm], w.Normed, rows, hidden, eps, AddOne: false));
        _blas.Multiply(stream, new MatMul(w.Normed, _weights[WeightNames.LmHead], w.Logits, BlasElement.F32, rows, _config.VocabSize, hidden));
        if (_config.FinalLogitSoftcap is float cap)
        {
            _kernels.LogitSoftcap(stream, new LogitSoftcapCall(w.Logits, (long)rows * _config.VocabSize, cap));
        }
    }

    private void Attention(CudaStreamHandle stream, int layer, int tokens, int parts)
    {
        var w = _workspace;
        var inputs = w.Inputs;
        int headDim = _config.HeadDim;
        int qWidth = _config.NumHeads * headDim;
        int qkvWidth = qWidth + (2 * _config.NumKvHeads * headDim);
        int type = _kv.Layout.TypeOfLayer(layer);
        var kvLayer = _kvArena.Offset(_kv.LayerOffset(layer) * KvGeometry.ElementBytes);
        _blas.Multiply(stream, new MatMul(w.Normed, _weights[WeightNames.Qkv(layer)], w.Qkv, BlasElement.F32, tokens, qkvWidth, _config.HiddenSize));
        _kernels.RopeQkvStore(stream, new RopeQkvStoreCall(
            w.Qkv, _weights.Optional(WeightNames.QkvBias(layer)), _weights.Optional(WeightNames.QNorm(layer)), _weights.Optional(WeightNames.KNorm(layer)),
            w.InverseFrequencies(_config.RopeOf(layer)), w.Input(inputs.Positions), w.Input(inputs.SlotMappingOf(type)), w.Queries,
            kvLayer, _kv.PageStride(layer), tokens, _config.NumHeads, _config.NumKvHeads, headDim, _kv.BlockTokens, _config.RmsNormEps, AddOne: false));
        _kernels.PagedAttention(stream, new PagedAttentionCall(
            w.Queries, kvLayer, _kv.PageStride(layer), w.Input(inputs.BlockTableOf(type)), inputs.TableStride, w.Input(inputs.TokenSeq),
            w.Input(inputs.Positions), w.PartialAcc, w.PartialMaxSum, w.Attention, tokens, _config.NumHeads, _config.NumKvHeads, headDim,
            _kv.BlockTokens, _config.SlidingWindowOf(layer) ?? 0, _config.AttentionScale, _config.AttentionSoftcap ?? 0f,
            AttentionPartitioning.MinPartTokens, parts));
        _blas.Multiply(stream, new MatMul(w.Attention, _weights[WeightNames.O(layer)], w.Projected, BlasElement.F32, tokens, _config.HiddenSize, qWidth));
        _kernels.AddRmsNorm(stream, new AddRmsNormCall(
            w.Hidden, w.Projected, _weights.Optional(WeightNames.OBias(layer)), _weights.Optional(WeightNames.AttentionOutputNorm(layer)),
            _weights[WeightNames.MlpInputNorm(layer)], w.Normed, tokens, _config.HiddenSize, _config.RmsNormEps, AddOne: false));
    }

    private void Mlp(CudaStreamHandle stream, int layer, int tokens)
    {
        var w = _workspace;
        int inter = _config.IntermediateSize;
        _blas.Multiply(stream, new MatMul(w.Normed, _weights[WeightNames.GateUp(layer)], w.GateUp, BlasElement.F32, tokens, 2 * inter, _config.HiddenSize));
        _kernels.GatedActivation(stream, new GatedActivationCall(w.GateUp, w.Activated, tokens, inter, _config.Activation == HiddenActivation.GeluTanh));
        _blas.Multiply(stream, new MatMul(w.Activated, _weights[WeightNames.Down(layer)], w.Projected, BlasElement.F32, tokens, _config.HiddenSize, inter));
        // The next layer's input norm rides on this residual add; after the last layer the final norm runs on the logits rows only.
        var next = layer + 1 < _config.NumLayers ? _weights[WeightNames.AttentionInputNorm(layer + 1)] : DevicePointer.Null;
        _kernels.AddRmsNorm(stream, new AddRmsNormCall(
            w.Hidden, w.Projected, DevicePointer.Null, _weights.Optional(WeightNames.MlpOutputNorm(layer)), next,
            next.IsNull ? DevicePointer.Null : w.Normed, tokens, _config.HiddenSize, _config.RmsNormEps, AddOne: false));
    }
}
