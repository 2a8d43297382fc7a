using LlmQueue.Engine.Weights;

namespace LlmQueue.Engine.Models;

/// <summary>All Llama tensors, each checked for presence and shape against the config.</summary>
public sealed record LlamaWeights(
    TensorView Embedding,
    IReadOnlyList<LlamaLayerWeights> Layers,
    float[] FinalNorm,
    TensorView LmHead)
{
    /// <summary>Weight bytes one decode step streams regardless of batch size: all projections plus lm_head.</summary>
    public long DecodeWeightBytes =>
        Layers.Sum(l => l.QProj.ByteLength + l.KProj.ByteLength + l.VProj.ByteLength + l.OProj.ByteLength
            + l.GateProj.ByteLength + l.UpProj.ByteLength + l.DownProj.ByteLength)
        + LmHead.ByteLength;

    public static LlamaWeights Bind(WeightStore store, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(config);
        int hidden = config.HiddenSize;
        int qDim = config.NumHeads * config.HeadDim;
        int kvDim = config.NumKvHeads * config.HeadDim;
        int inter = config.IntermediateSize;

        var embedding = Matrix(store, "model.embed_tokens.weight", config.VocabSize, hidden);
        var layers = new LlamaLayerWeights[config.NumLayers];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"model.layers.{i}.";
            layers[i] = new LlamaLayerWeights(
                QProj: Matrix(store, p + "self_attn.q_proj.weight", qDim, hidden),
                KProj: Matrix(store, p + "self_attn.k_proj.weight", kvDim, hidden),
                VProj: Matrix(store, p + "self_attn.v_proj.weight", kvDim, hidden),
                OProj: Matrix(store, p + "self_attn.o_proj.weight", hidden, qDim),
                GateProj: Matrix(store, p + "mlp.gate_proj.weight", inter, hidden),
                UpProj: Matrix(store, p + "mlp.up_proj.weight", inter, hidden),
                DownProj: Matrix(store, p + "mlp.down_proj.weight", hidden, inter),
                InputNorm: Vector(store, p + "input_layernorm.weight", hidden),
                PostAttentionNorm: Vector(store, p + "post_attention_layernorm.weight", hidden));
        }

        var lmHead = config.TieWordEmbeddings ? embedding : Matrix(store, "lm_head.weight", config.VocabSize, hidden);
        return new LlamaWeights(embedding, layers, Vector(store, "model.norm.weight", hidden), lmHead);
    }

    private static TensorView Matrix(WeightStore store, string name, int rows, int cols) =>
        ExpectShape(store.Get(name), rows, cols);

    private static float[] Vector(WeightStore store, string name, int length) =>
        ExpectShape(store.Get(name), length).ToSingleArray();

    private static TensorView ExpectShape(TensorView view, params int[] expected) =>
        view.Shape.SequenceEqual(expected)
            ? view
            : throw ModelLoadException.For(view.SourceFile, $"tensor '{view.Name}' has shape {view.ShapeText}, expected [{string.Join(", ", expected)}].");
}
