namespace LlmQueue.Gpu.Planning;

/// <summary>
/// Every device tensor of a model in one arena: bf16 matrices (embedding; per layer qkv, o, gate_up, down; lm_head
/// unless tied, when it is the embedding itself) and f32 vectors (norm gains as the loader computed them, i.e.
/// including Gemma's 1 + w, and biases). Names are <see cref="WeightNames"/>.
/// </summary>
public sealed class WeightUploadPlan
{
    private readonly Dictionary<string, PlannedWeight> _byName;

    private WeightUploadPlan(List<PlannedWeight> weights, long totalBytes, bool tiedLmHead, float embeddingScale)
    {
        Weights = weights;
        EmbeddingScale = embeddingScale;
        TotalBytes = totalBytes;
        TiedLmHead = tiedLmHead;
        _byName = weights.ToDictionary(w => w.Name, StringComparer.Ordinal);
    }

    public IReadOnlyList<PlannedWeight> Weights { get; }

    public long TotalBytes { get; }

    /// <summary>The loader's embedding multiplier (sqrt(hidden) rounded to the checkpoint dtype for Gemma, else 1).</summary>
    public float EmbeddingScale { get; }

    /// <summary>True when lm_head is the embedding matrix (uploaded once).</summary>
    public bool TiedLmHead { get; }

    public PlannedWeight this[string name] =>
        _byName.TryGetValue(name, out var weight) ? weight : throw new KeyNotFoundException($"The weight plan has no tensor '{name}'.");

    public bool Contains(string name) => _byName.ContainsKey(name);

    public static unsafe WeightUploadPlan For(DecoderWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var arena = new ArenaLayout();
        var planned = new List<PlannedWeight>();
        void Matrix(string name, params TensorView[] tensors)
        {
            planned.Add(PlannedWeight.Matrix(name, arena.Add(name, tensors.Sum(t => t.ElementCount) * sizeof(ushort)), tensors));
        }

        void Vector(string name, float[]? values)
        {
            if (values is not null)
            {
                planned.Add(PlannedWeight.Vector(name, arena.Add(name, values.LongLength * sizeof(float)), values));
            }
        }

        Matrix(WeightNames.Embedding, weights.Embedding);
        for (int i = 0; i < weights.Layers.Count; i++)
        {
            var layer = weights.Layers[i];
            Matrix(WeightNames.Qkv(i), layer.QProj, layer.KProj, layer.VProj);
            Matrix(WeightNames.O(i), layer.OProj);
            Matrix(WeightNames.GateUp(i), layer.GateProj, layer.UpProj);
            Matrix(WeightNames.Down(i), layer.DownProj);
            Vector(WeightNames.QkvBias(i), layer.QBias is null ? null : [.. layer.QBias, .. layer.KBias!, .. layer.VBias!]);
            Vector(WeightNames.OBias(i), layer.OBias);
            Vector(WeightNames.QNorm(i), layer.QNorm);
            Vector(WeightNames.KNorm(i), layer.KNorm);
            Vector(WeightNames.AttentionInputNorm(i), layer.AttentionInputNorm);
            Vector(WeightNames.AttentionOutputNorm(i), layer.AttentionOutputNorm);
            Vector(WeightNames.MlpInputNorm(i), layer.MlpInputNorm);
            Vector(WeightNames.MlpOutputNorm(i), layer.MlpOutputNorm);
        }

        Vector(WeightNames.FinalNorm, weights.FinalNorm);
        bool tied = weights.LmHead.Data == weights.Embedding.Data;
        if (!tied)
        {
            Matrix(WeightNames.LmHead, weights.LmHead);
        }

        return new WeightUploadPlan(planned, arena.TotalBytes, tied, weights.EmbeddingScale);
    }
}
