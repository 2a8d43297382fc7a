using LlmQueue.Models.Weights;

namespace LlmQueue.Models.Synthetic;

/// <summary>
/// Shape, family, dtype, seed and file layout of a generated checkpoint. Family-specific fields are
/// written only for families that have them (e.g. softcaps for Gemma 2).
/// </summary>
public sealed record SyntheticModelSpec
{
    private readonly int? _headDim;

    public ModelFamily Family { get; init; } = ModelFamily.Llama;

    public required int HiddenSize { get; init; }

    public required int IntermediateSize { get; init; }

    public required int NumLayers { get; init; }

    public required int NumHeads { get; init; }

    public required int NumKvHeads { get; init; }

    public required int VocabSize { get; init; }

    /// <summary>Defaults to HiddenSize / NumHeads; Qwen 3 and Gemma set it independently.</summary>
    public int HeadDim
    {
        get => _headDim ?? (HiddenSize / NumHeads);
        init => _headDim = value;
    }

    public int MaxPositionEmbeddings { get; init; } = 4096;

    public bool TieWordEmbeddings { get; init; }

    public TensorDType DType { get; init; } = TensorDType.BF16;

    public ulong Seed { get; init; } = 1234;

    /// <summary>Standard deviation of the normal init of the embeddings (HF initializer_range); projections use 1/sqrt(fan_in).</summary>
    public float InitStd { get; init; } = 0.02f;

    /// <summary>1 writes model.safetensors; more writes that many shards plus model.safetensors.index.json.</summary>
    public int Shards { get; init; } = 1;

    public float RopeTheta { get; init; } = 10000f;

    /// <summary>rope_scaling of full-attention layers (Llama 3: llama3; Gemma 3 4b+: linear).</summary>
    public RopeScaling? RopeScaling { get; init; }

    /// <summary>Gemma 3's rope_local_base_freq.</summary>
    public float? LocalRopeTheta { get; init; }

    public float RmsNormEps { get; init; } = 1e-5f;

    public int BosTokenId { get; init; } = 1;

    public int EosTokenId { get; init; } = 2;

    /// <summary>Gemma's sliding_window (Gemma 2: even layers slide; Gemma 3: see <see cref="SlidingWindowPattern"/>).</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>Gemma 3: every Nth layer is global. Written as sliding_window_pattern, or as layer_types with <see cref="WriteLayerTypes"/>.</summary>
    public int SlidingWindowPattern { get; init; } = 6;

    public bool WriteLayerTypes { get; init; }

    public float? QueryPreAttnScalar { get; init; }

    public float? AttentionSoftcap { get; init; }

    public float? FinalLogitSoftcap { get; init; }

    /// <summary>Gemma 3 only: write a Gemma3ForConditionalGeneration export (text_config, language_model.model.* tensors).</summary>
    public bool Multimodal { get; init; }

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

    /// <summary>
    /// Llama 3.x rope: base 500000 and llama3 scaling whose original context (64) puts this head size's
    /// frequencies in all three bands (kept, interpolated, divided) within test sequence lengths.
    /// </summary>
    public static SyntheticModelSpec TinyLlama3 { get; } = Tiny with
    {
        IntermediateSize = 128,
        RopeTheta = 500000f,
        RopeScaling = new RopeScaling(RopeScalingKind.Llama3, 32f, 1f, 4f, 64),
        TieWordEmbeddings = true,
    };

    /// <summary>Qwen 2: q/k/v biases.</summary>
    public static SyntheticModelSpec TinyQwen2 { get; } = Tiny with { Family = ModelFamily.Qwen2, IntermediateSize = 128, RopeTheta = 1_000_000f };

    /// <summary>Qwen 3: q/k norms and a head_dim (32) that is not hidden / heads (16).</summary>
    public static SyntheticModelSpec TinyQwen3 { get; } = Tiny with
    {
        Family = ModelFamily.Qwen3,
        IntermediateSize = 128,
        HeadDim = 32,
        TieWordEmbeddings = true,
        RopeTheta = 1_000_000f,
    };

    /// <summary>
    /// Gemma 2: window 8 on even layers, query_pre_attn_scalar unlike head_dim, hidden 48 so sqrt(hidden)
    /// is inexact in bf16, and softcaps small enough (2 and 4) to bend this tiny model's scores and logits.
    /// </summary>
    public static SyntheticModelSpec TinyGemma2 { get; } = new()
    {
        Family = ModelFamily.Gemma2,
        HiddenSize = 48,
        IntermediateSize = 128,
        NumLayers = 4,
        NumHeads = 4,
        NumKvHeads = 2,
        HeadDim = 16,
        VocabSize = 512,
        DType = TensorDType.F32,
        TieWordEmbeddings = true,
        RmsNormEps = 1e-6f,
        SlidingWindow = 8,
        QueryPreAttnScalar = 24f,
        AttentionSoftcap = 2f,
        FinalLogitSoftcap = 4f,
    };

    /// <summary>Gemma 3 text: 5 sliding (window 8, local base 10000) : 1 global (base 1e6, linear x8), q/k norms.</summary>
    public static SyntheticModelSpec TinyGemma3 { get; } = TinyGemma2 with
    {
        Family = ModelFamily.Gemma3,
        NumLayers = 6,
        NumHeads = 4,
        NumKvHeads = 1,
        QueryPreAttnScalar = 20f,
        AttentionSoftcap = null,
        FinalLogitSoftcap = null,
        RopeTheta = 1_000_000f,
        LocalRopeTheta = 10000f,
        RopeScaling = new RopeScaling(RopeScalingKind.Linear, 8f),
    };

    /// <summary>
    /// Gemma-3-270m-like shape at CPU-benchmark size (~40M parameters, bf16): 12 layers at 5:1
    /// sliding:global (globals 5 and 11), one KV head of 128, window 128, tied 8192-token vocabulary.
    /// </summary>
    public static SyntheticModelSpec Gemma3Small { get; } = new()
    {
        Family = ModelFamily.Gemma3,
        HiddenSize = 512,
        IntermediateSize = 1536,
        NumLayers = 12,
        NumHeads = 4,
        NumKvHeads = 1,
        HeadDim = 128,
        VocabSize = 8192,
        MaxPositionEmbeddings = 32768,
        DType = TensorDType.BF16,
        TieWordEmbeddings = true,
        RmsNormEps = 1e-6f,
        SlidingWindow = 128,
        QueryPreAttnScalar = 128f,
        RopeTheta = 1_000_000f,
        LocalRopeTheta = 10000f,
    };

    /// <summary>The preset named like EngineOptions.SyntheticModel (case-insensitive).</summary>
    public static SyntheticModelSpec Preset(string name) => name?.ToUpperInvariant() switch
    {
        "TINY" => Tiny,
        "SMALL-100M" => Small100M,
        "TINY-LLAMA3" => TinyLlama3,
        "TINY-QWEN2" => TinyQwen2,
        "TINY-QWEN3" => TinyQwen3,
        "TINY-GEMMA2" => TinyGemma2,
        "TINY-GEMMA3" => TinyGemma3,
        "GEMMA3-SMALL" => Gemma3Small,
        _ => throw new ArgumentException(
            $"Unknown synthetic model '{name}'; expected one of {string.Join(", ", PresetNames)}.", nameof(name)),
    };

    public static IReadOnlyList<string> PresetNames { get; } =
        ["tiny", "small-100m", "tiny-llama3", "tiny-qwen2", "tiny-qwen3", "tiny-gemma2", "tiny-gemma3", "gemma3-small"];

    public long ParameterCount => SyntheticTensors.Layouts(this).Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));
}
