using LlmQueue.Models.Weights;

namespace LlmQueue.Models;

/// <summary>
/// One decoder layer's tensors, named by role rather than by checkpoint name (Llama's
/// post_attention_layernorm is the MLP's input norm, Gemma's normalizes the attention output).
/// Projections stay memory-mapped in their stored dtype; biases and norm gains are f32, widened once.
/// Optional members are null when the family has no such tensor.
/// </summary>
public sealed record DecoderLayerWeights(
    TensorView QProj,
    TensorView KProj,
    TensorView VProj,
    TensorView OProj,
    float[]? QBias,
    float[]? KBias,
    float[]? VBias,
    float[]? OBias,
    float[]? QNorm,
    float[]? KNorm,
    TensorView GateProj,
    TensorView UpProj,
    TensorView DownProj,
    float[] AttentionInputNorm,
    float[]? AttentionOutputNorm,
    float[] MlpInputNorm,
    float[]? MlpOutputNorm)
{
    /// <summary>Binds layer tensors under <paramref name="prefix"/> (e.g. "model.layers.3.").</summary>
    internal static DecoderLayerWeights Bind(TensorBinder binder, ModelConfig config, string prefix)
    {
        int hidden = config.HiddenSize;
        int qDim = config.NumHeads * config.HeadDim;
        int kvDim = config.NumKvHeads * config.HeadDim;
        int inter = config.IntermediateSize;
        string attention = prefix + "self_attn.";
        bool sandwich = config.SandwichNorms;
        return new DecoderLayerWeights(
            QProj: binder.Matrix(attention + "q_proj.weight", qDim, hidden),
            KProj: binder.Matrix(attention + "k_proj.weight", kvDim, hidden),
            VProj: binder.Matrix(attention + "v_proj.weight", kvDim, hidden),
            OProj: binder.Matrix(attention + "o_proj.weight", hidden, qDim),
            QBias: binder.OptionalVector(attention + "q_proj.bias", qDim, config.QkvBias),
            KBias: binder.OptionalVector(attention + "k_proj.bias", kvDim, config.QkvBias),
            VBias: binder.OptionalVector(attention + "v_proj.bias", kvDim, config.QkvBias),
            OBias: binder.OptionalVector(attention + "o_proj.bias", hidden, config.OutputBias),
            QNorm: binder.OptionalNormGain(attention + "q_norm.weight", config.HeadDim, config.QkNorm),
            KNorm: binder.OptionalNormGain(attention + "k_norm.weight", config.HeadDim, config.QkNorm),
            GateProj: binder.Matrix(prefix + "mlp.gate_proj.weight", inter, hidden),
            UpProj: binder.Matrix(prefix + "mlp.up_proj.weight", inter, hidden),
            DownProj: binder.Matrix(prefix + "mlp.down_proj.weight", hidden, inter),
            AttentionInputNorm: binder.NormGain(prefix + "input_layernorm.weight", hidden),
            AttentionOutputNorm: binder.OptionalNormGain(prefix + "post_attention_layernorm.weight", hidden, sandwich),
            MlpInputNorm: binder.NormGain(prefix + (sandwich ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"), hidden),
            MlpOutputNorm: binder.OptionalNormGain(prefix + "post_feedforward_layernorm.weight", hidden, sandwich));
    }
}
