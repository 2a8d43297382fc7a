using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Planning;

/// <summary>A model's weights in one device allocation, addressed by <see cref="WeightNames"/>; missing optional tensors are null pointers.</summary>
public sealed class DeviceWeights : IDisposable
{
    private readonly ICudaApi _cuda;
    private readonly WeightUploadPlan _plan;

    public DeviceWeights(ICudaApi cuda, WeightUploadPlan plan, DevicePointer arena)
    {
        ArgumentNullException.ThrowIfNull(plan);
        _cuda = cuda;
        _plan = plan;
        Arena = arena;
    }

    public DevicePointer Arena { get; }

    /// <summary>What embeddings are multiplied by (Gemma's normalizer; 1 elsewhere).</summary>
    public float EmbeddingScale => _plan.EmbeddingScale;

    /// <summary>The tensor's device address; lm_head of a tied model is the embedding.</summary>
    public DevicePointer this[string name] =>
        name == WeightNames.LmHead && _plan.TiedLmHead ? this[WeightNames.Embedding] : Arena.Offset(_plan[name].Offset);

    /// <summary>The tensor's address, or the null pointer when the model has no such tensor.</summary>
    public DevicePointer Optional(string name) => _plan.Contains(name) ? this[name] : DevicePointer.Null;

    public void Dispose() => _cuda.Free(Arena);
}
