namespace LlmQueue.Models;

/// <summary>
/// What Hugging Face's config class of each family assumes for a field that config.json leaves out:
/// exports omit fields at their defaults (Gemma 3's text_config often holds only the sizes that differ).
/// </summary>
internal sealed record FamilyDefaults
{
    public required ModelFamily Family { get; init; }

    /// <summary>Size fields with a class default; the others are required.</summary>
    public IReadOnlyDictionary<string, int> Sizes { get; init; } = new Dictionary<string, int>();

    /// <summary>Null: hidden_size / num_attention_heads.</summary>
    public int? HeadDim { get; init; }

    public float RopeTheta { get; init; } = 10000f;

    /// <summary>RoPE base of sliding layers when they have their own (Gemma 3's rope_local_base_freq).</summary>
    public float? LocalRopeTheta { get; init; }

    public bool TieWordEmbeddings { get; init; }

    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary>Gemma names its activation field hidden_activation; the others hidden_act.</summary>
    public string ActivationField { get; init; } = "hidden_act";

    public string Activation { get; init; } = "silu";

    public float? QueryPreAttnScalar { get; init; }

    public int? SlidingWindow { get; init; }

    public float? AttentionSoftcap { get; init; }

    public float? FinalLogitSoftcap { get; init; }

    public static FamilyDefaults For(ModelFamily family) => family switch
    {
        ModelFamily.Qwen2 => new() { Family = family, MaxPositionEmbeddings = 32768, SlidingWindow = 4096 },
        ModelFamily.Qwen3 => new() { Family = family, MaxPositionEmbeddings = 32768, SlidingWindow = 4096, HeadDim = 128 },
        ModelFamily.Gemma2 => Gemma(family) with
        {
            Sizes = GemmaSizes(vocab: 256000),
            MaxPositionEmbeddings = 8192,
            AttentionSoftcap = 50f,
            FinalLogitSoftcap = 30f,
        },
        ModelFamily.Gemma3 => Gemma(family) with
        {
            Sizes = GemmaSizes(vocab: 262208),
            MaxPositionEmbeddings = 131072,
            RopeTheta = 1_000_000f,
            LocalRopeTheta = 10000f,
        },
        _ => new() { Family = family },
    };

    private static FamilyDefaults Gemma(ModelFamily family) => new()
    {
        Family = family,
        HeadDim = 256,
        TieWordEmbeddings = true,
        ActivationField = "hidden_activation",
        Activation = "gelu_pytorch_tanh",
        QueryPreAttnScalar = 256f,
        SlidingWindow = 4096,
    };

    // Gemma2Config and Gemma3TextConfig share these size defaults (the 2B/4B-class shape).
    private static Dictionary<string, int> GemmaSizes(int vocab) => new()
    {
        ["vocab_size"] = vocab,
        ["hidden_size"] = 2304,
        ["intermediate_size"] = 9216,
        ["num_hidden_layers"] = 26,
        ["num_attention_heads"] = 8,
        ["num_key_value_heads"] = 4,
    };
}
