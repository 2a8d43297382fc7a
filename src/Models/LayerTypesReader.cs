namespace LlmQueue.Models;

/// <summary>
/// Which layers use sliding-window attention: layer_types when given, else each family's rule as its
/// Hugging Face config class derives it.
/// </summary>
internal static class LayerTypesReader
{
    private const int DefaultGemma3Pattern = 6;
    private const int DefaultMaxWindowLayers = 28;

    /// <summary>Per-layer kinds and the window; a sliding layer without a window attends fully, as in transformers.</summary>
    public static (AttentionKind[] Types, int? Window) Read(ConfigFields text, FamilyDefaults defaults, int layers)
    {
        var family = defaults.Family;
        bool qwen = family is ModelFamily.Qwen2 or ModelFamily.Qwen3;
        // Qwen only slides with use_sliding_window; its sliding_window field is otherwise informational.
        int? window = qwen && text.OptionalBool("use_sliding_window") != true
            ? null
            : text.OptionalPositiveInt("sliding_window") ?? (qwen ? defaults.SlidingWindow : NullUnlessGemma(defaults));
        var types = Explicit(text, layers) ?? [.. Enumerable.Range(0, layers).Select(i => Derived(text, family, i))];
        return window is null ? (Array.Empty<AttentionKind>(), null) : (types, window);
    }

    // Llama has no sliding layers; a stray sliding_window there is ignored like transformers ignores it.
    private static int? NullUnlessGemma(FamilyDefaults defaults) =>
        defaults.Family is ModelFamily.Gemma2 or ModelFamily.Gemma3 ? defaults.SlidingWindow : null;

    private static AttentionKind[]? Explicit(ConfigFields text, int layers)
    {
        if (text.OptionalStringList("layer_types") is not { } names)
        {
            return null;
        }

        AttentionKind[] types = [.. names.Select(name => name switch
        {
            "full_attention" => AttentionKind.Full,
            "sliding_attention" => AttentionKind.Sliding,
            _ => throw text.Fail("layer_types", $"'{name}' is not supported; 'full_attention' and 'sliding_attention' are."),
        })];
        return types.Length == layers ? types : throw text.Fail("layer_types", $"has {types.Length} entries for {layers} layers.");
    }

    private static AttentionKind Derived(ConfigFields text, ModelFamily family, int layer) => family switch
    {
        ModelFamily.Gemma2 => layer % 2 == 0 ? AttentionKind.Sliding : AttentionKind.Full,
        ModelFamily.Gemma3 => (layer + 1) % Gemma3Pattern(text) != 0 ? AttentionKind.Sliding : AttentionKind.Full,
        ModelFamily.Qwen2 or ModelFamily.Qwen3 =>
            layer >= (text.OptionalPositiveInt("max_window_layers") ?? DefaultMaxWindowLayers) ? AttentionKind.Sliding : AttentionKind.Full,
        _ => AttentionKind.Full,
    };

    private static int Gemma3Pattern(ConfigFields text) =>
        text.OptionalPositiveInt("sliding_window_pattern") ?? text.OptionalPositiveInt("_sliding_window_pattern") ?? DefaultGemma3Pattern;
}
