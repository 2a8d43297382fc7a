using LlmQueue.Engine.Weights;

namespace LlmQueue.Engine.Models;

/// <summary>One decoder layer's tensors. Projections stay memory-mapped in their stored dtype;
/// the small norm vectors are widened to f32 once at load.</summary>
public sealed record LlamaLayerWeights(
    TensorView QProj,
    TensorView KProj,
    TensorView VProj,
    TensorView OProj,
    TensorView GateProj,
    TensorView UpProj,
    TensorView DownProj,
    float[] InputNorm,
    float[] PostAttentionNorm);
