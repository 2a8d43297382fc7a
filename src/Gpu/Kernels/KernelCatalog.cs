using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Kernels;

/// <summary>
/// Every kernel's parameter list, written to match Kernels/*.cu declaration by declaration. Launches are built
/// against these (by name and kind), the C# references read through them, and the compile check compares them
/// with the PTX each NVRTC produces.
/// </summary>
public static class KernelCatalog
{
    /// <summary>Head sizes the paged attention kernel is instantiated for (one entry each).</summary>
    public static readonly IReadOnlyList<int> AttentionHeadDims = [16, 32, 64, 128, 256];

    public static readonly KernelSignature EmbedTokens = new(
        "embed_tokens", P("table"), P("ids"), P("hidden"), I("tokens"), I("width"), F("scale"));

    public static readonly KernelSignature RmsNorm = new(
        "rms_norm", P("x"), P("rows"), P("gain"), P("out"), I("n_rows"), I("width"), F("eps"), I("add_one"));

    public static readonly KernelSignature AddRmsNorm = new(
        "add_rms_norm", P("hidden"), P("delta"), P("delta_bias"), P("delta_gain"), P("gain"), P("out"), I("n_rows"), I("width"), F("eps"), I("add_one"));

    public static readonly KernelSignature RopeQkvStore = new(
        "rope_qkv_store",
        P("qkv"), P("bias"), P("q_gain"), P("k_gain"), P("inv_freq"), P("positions"), P("slot_mapping"), P("q_out"), P("kv_layer"), L("page_stride"),
        I("tokens"), I("heads"), I("kv_heads"), I("head_dim"), I("block_tokens"), F("eps"), I("add_one"));

    public static readonly KernelSignature PagedAttentionReduce = new(
        "paged_attention_reduce", P("part_acc"), P("part_ml"), P("out"), I("tokens"), I("heads"), I("head_dim"), I("num_parts"));

    public static readonly KernelSignature GatedActivation = new(
        "gated_activation", P("gate_up"), P("out"), I("tokens"), I("inter"), I("gelu"));

    public static readonly KernelSignature LogitSoftcap = new(
        "logit_softcap", P("logits"), L("count"), F("cap"));

    public static readonly KernelSignature ApplyPenalties = new(
        "apply_penalties", P("logits"), P("row_params"), P("penalties"), I("rows"), I("vocab"));

    public static readonly KernelSignature SampleRows = new(
        "sample_rows", P("logits"), P("weights"), P("row_params"), P("out_tokens"), P("out_records"), I("rows"), I("vocab"));

    public static readonly KernelSignature Gemv = new(
        "gemv_bf16", P("x"), P("w"), P("y"), I("n"), I("k"), I("splits"), I("out_bf16"));

    private static readonly KernelSignature PagedAttentionTemplate = new(
        "paged_attention_hd",
        P("q"), P("kv_layer"), L("page_stride"), P("block_table"), I("table_stride"), P("token_seq"), P("positions"),
        P("part_acc"), P("part_ml"), P("out"), I("tokens"), I("heads"), I("kv_heads"), I("block_tokens"), I("window"),
        F("scale"), F("softcap"), I("min_part_tokens"), I("num_parts"));

    private static readonly Dictionary<int, KernelSignature> PagedAttentionByHeadDim =
        AttentionHeadDims.ToDictionary(d => d, d => PagedAttentionTemplate.Renamed($"paged_attention_hd{d}"));

    public static IReadOnlyList<KernelSignature> All { get; } =
    [
        EmbedTokens, RmsNorm, AddRmsNorm, RopeQkvStore, .. AttentionHeadDims.Select(PagedAttention), PagedAttentionReduce, GatedActivation, LogitSoftcap,
        ApplyPenalties, SampleRows, Gemv,
    ];

    /// <summary>The attention entry for <paramref name="headDim"/>; throws for a head size with no instance.</summary>
    public static KernelSignature PagedAttention(int headDim) =>
        PagedAttentionByHeadDim.TryGetValue(headDim, out var signature)
            ? signature
            : throw new ArgumentOutOfRangeException(nameof(headDim), headDim, $"paged attention is built for head_dim {string.Join(", ", AttentionHeadDims)}.");

    public static KernelSignature Find(string name) =>
        All.FirstOrDefault(s => s.Name == name) ?? throw new ArgumentException($"No kernel named '{name}' in the catalog.", nameof(name));

    private static KernelParam P(string name) => new(name, KernelParamKind.Address);

    private static KernelParam I(string name) => new(name, KernelParamKind.I32);

    private static KernelParam L(string name) => new(name, KernelParamKind.I64);

    private static KernelParam F(string name) => new(name, KernelParamKind.F32);
}
