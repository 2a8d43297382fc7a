namespace LlmQueue.Models;

/// <summary>
/// Decoder hyper-parameters and family features, read from a Hugging Face config.json. Runners read
/// the feature flags, never the family, so a new family is a reader change only.
/// </summary>
public sealed record ModelConfig
{
    public string Architecture { get; init; } = "LlamaForCausalLM";

    public ModelFamily Family { get; init; } = ModelFamily.Llama;

    public required int HiddenSize { get; init; }

    public required int IntermediateSize { get; init; }

    public required int NumLayers { get; init; }

    public required int NumHeads { get; init; }

    public required int NumKvHeads { get; init; }

    public required int HeadDim { get; init; }

    public required int VocabSize { get; init; }

    public int MaxPositionEmbeddings { get; init; } = 2048;

    public float RmsNormEps { get; init; } = 1e-5f;

    /// <summary>RoPE base of full-attention layers (and of all layers unless <see cref="LocalRope"/> is set).</summary>
    public float RopeTheta { get; init; } = 10000f;

    /// <summary>RoPE scaling of full-attention layers; null = plain RoPE.</summary>
    public RopeScaling? RopeScaling { get; init; }

    /// <summary>RoPE of sliding-window layers when it differs (Gemma 3's local base); null = same as full layers.</summary>
    public RopeSpec? LocalRope { get; init; }

    public bool TieWordEmbeddings { get; init; }

    public int? BosTokenId { get; init; }

    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>The checkpoint's declared dtype (torch_dtype / dtype), informational; weights keep their stored dtype.</summary>
    public string? TorchDtype { get; init; }

    public HiddenActivation Activation { get; init; } = HiddenActivation.Silu;

    /// <summary>Gemma: RMSNorm multiplies by (1 + w) instead of w.</summary>
    public bool NormAddsOne { get; init; }

    /// <summary>Gemma 2/3: the attention and MLP outputs are normed too, before their residual add.</summary>
    public bool SandwichNorms { get; init; }

    /// <summary>Qwen 3, Gemma 3: per-head RMSNorm of q and k before RoPE.</summary>
    public bool QkNorm { get; init; }

    /// <summary>Biases on the q, k and v projections (Qwen 2; attention_bias elsewhere).</summary>
    public bool QkvBias { get; init; }

    /// <summary>Bias on the o projection (attention_bias in Llama, Qwen 3, Gemma).</summary>
    public bool OutputBias { get; init; }

    /// <summary>Gemma: embeddings are multiplied by sqrt(hidden_size) rounded to the weight dtype.</summary>
    public bool ScalesEmbeddings { get; init; }

    /// <summary>Attention scores are scaled by this^-0.5; null = head_dim (query_pre_attn_scalar in Gemma).</summary>
    public float? QueryPreAttnScalar { get; init; }

    /// <summary>Attention scores become tanh(s / c) * c after scaling (Gemma 2's attn_logit_softcapping).</summary>
    public float? AttentionSoftcap { get; init; }

    /// <summary>Logits become tanh(l / c) * c (final_logit_softcapping).</summary>
    public float? FinalLogitSoftcap { get; init; }

    /// <summary>Keys a sliding layer sees, itself included (q - W &lt; kv &lt;= q).</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>Per layer; empty means every layer has full attention.</summary>
    public IReadOnlyList<AttentionKind> LayerTypes { get; init; } = [];

    /// <summary>The score scale q·k is multiplied by, rounded to f32 from the double as Hugging Face does.</summary>
    public float AttentionScale => (float)Math.Pow(QueryPreAttnScalar ?? HeadDim, -0.5);

    /// <summary>The sliding window of <paramref name="layer"/>, or null for full attention.</summary>
    public int? SlidingWindowOf(int layer) => IsSliding(layer) ? SlidingWindow : null;

    /// <summary>The rotary embedding <paramref name="layer"/> uses.</summary>
    public RopeSpec RopeOf(int layer) =>
        IsSliding(layer) && LocalRope is not null ? LocalRope : new RopeSpec(RopeTheta, RopeScaling);

    private bool IsSliding(int layer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, NumLayers);
        return layer < LayerTypes.Count && LayerTypes[layer] == AttentionKind.Sliding;
    }
}
