using LlmQueue.Engine.Weights;

namespace LlmQueue.Engine.Synthetic;

/// <summary>Shape, dtype, seed and file layout of a generated Llama checkpoint.</summary>
public sealed record SyntheticModelSpec
{
    public required int HiddenSize { get; init; }

    public required int IntermediateSize { get; init; }

    public required int NumLayers { get; init; }

    public required int NumHeads { get; init; }

    public required int NumKvHeads { get; init; }

    public required int VocabSize { get; init; }

    public int MaxPositionEmbeddings { get; init; } = 4096;

    public bool TieWordEmbeddings { get; init; }

    public TensorDType DType { get; init; } = TensorDType.BF16;

    public ulong Seed { get; init; } = 1234;

    /// <summary>Standard deviation of the normal init of the embeddings (HF initializer_range); projections use 1/sqrt(fan_in).</summary>
    public float InitStd { get; init; } = 0.02f;

    /// <summary>1 writes model.safetensors; more writes that many shards plus model.safetensors.index.json.</summary>
    public int Shards { get; init; } = 1;

    public float RopeTheta { get; init; } = 10000f;

    public float RmsNormEps { get; init; } = 1e-5f;

    public int BosTokenId { get; init; } = 1;

    public int EosTokenId { get; init; } = 2;

    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>Test-sized model: hidden 64, 2 layers, 4 heads, 2 KV heads, untied lm_head, f32.</summary>
    public static SyntheticModelSpec Tiny { get; } = new()
    {
        HiddenSize = 64,
        IntermediateSize = 160,
        NumLayers = 2,
        NumHeads = 4,
        NumKvHeads = 2,
        VocabSize = 512,
        DType = TensorDType.F32,
    };

    /// <summary>~100M parameters in bf16 with tied embeddings (12 x 6.3M layer + 24.6M embedding).</summary>
    public static SyntheticModelSpec Small100M { get; } = new()
    {
        HiddenSize = 768,
        IntermediateSize = 2048,
        NumLayers = 12,
        NumHeads = 12,
        NumKvHeads = 4,
        VocabSize = 32000,
        TieWordEmbeddings = true,
        DType = TensorDType.BF16,
    };

    /// <summary>The preset named like EngineOptions.SyntheticModel: "tiny" or "small-100m" (case-insensitive).</summary>
    public static SyntheticModelSpec Preset(string name) => name?.ToUpperInvariant() switch
    {
        "TINY" => Tiny,
        "SMALL-100M" => Small100M,
        _ => throw new ArgumentException($"Unknown synthetic model '{name}'; expected 'tiny' or 'small-100m'.", nameof(name)),
    };

    public long ParameterCount
    {
        get
        {
            long h = HiddenSize;
            long kv = (long)NumKvHeads * HeadDim;
            long layer = (2 * h * h) + (2 * h * kv) + (3 * h * IntermediateSize) + (2 * h);
            long embeddings = (long)VocabSize * h * (TieWordEmbeddings ? 1 : 2);
            return (NumLayers * layer) + embeddings + h;
        }
    }
}
