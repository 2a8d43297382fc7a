namespace LlmQueue.Models;

/// <summary>
/// RoPE settings in any of the config.json spellings: rope_theta + rope_scaling (legacy "type" or
/// "rope_type" key), or transformers v5 rope_parameters, flat or keyed by layer type.
/// </summary>
internal static class RopeConfigReader
{
    private const string FullAttention = "full_attention";
    private const string SlidingAttention = "sliding_attention";

    /// <summary>The RoPE of full-attention layers, and of sliding layers when theirs differs.</summary>
    public static (RopeSpec Global, RopeSpec? Local) Read(ConfigFields text, FamilyDefaults defaults)
    {
        float theta = text.OptionalPositiveFloat("rope_theta") ?? defaults.RopeTheta;
        float? localTheta = text.OptionalPositiveFloat("rope_local_base_freq") ?? defaults.LocalRopeTheta;
        RopeSpec? legacyLocal = localTheta is float l ? new RopeSpec(l) : null;
        if (text.OptionalObject("rope_parameters") is not { } parameters)
        {
            var scaling = text.OptionalObject("rope_scaling") is { } legacy ? Scaling(legacy) : null;
            return (new RopeSpec(theta, scaling), legacyLocal);
        }

        var full = parameters.OptionalObject(FullAttention);
        var sliding = parameters.OptionalObject(SlidingAttention);
        if (full is null && sliding is null)
        {
            return (Spec(parameters, theta), legacyLocal);
        }

        return (full is { } f ? Spec(f, theta) : new RopeSpec(theta),
            sliding is { } sl ? Spec(sl, localTheta ?? theta) : legacyLocal);
    }

    private static RopeSpec Spec(ConfigFields parameters, float defaultTheta) =>
        new(parameters.OptionalPositiveFloat("rope_theta") ?? defaultTheta, Scaling(parameters));

    private static RopeScaling? Scaling(ConfigFields scaling)
    {
        // A partial rotary factor rotates only part of each head; running it as full RoPE would be silently wrong.
        if (scaling.OptionalPositiveFloat("partial_rotary_factor") is float partial && partial != 1f)
        {
            throw scaling.Fail("partial_rotary_factor", $"{partial} is not supported; only full rotary embeddings are.");
        }

        string type = scaling.OptionalString("rope_type") ?? scaling.OptionalString("type") ?? "default";
        return type switch
        {
            "default" => null,
            "linear" => new RopeScaling(RopeScalingKind.Linear, Required(scaling, "factor")),
            "llama3" => new RopeScaling(
                RopeScalingKind.Llama3,
                Required(scaling, "factor"),
                Required(scaling, "low_freq_factor"),
                Required(scaling, "high_freq_factor"),
                scaling.RequiredPositiveInt("original_max_position_embeddings")),
            // dynamic, yarn, longrope... change angles in ways not implemented; refusing beats wrong outputs.
            _ => throw scaling.Fail("rope_type", $"rope scaling type '{type}' is not supported; 'default', 'linear' and 'llama3' are."),
        };
    }

    private static float Required(ConfigFields fields, string field) =>
        fields.OptionalPositiveFloat(field) ?? throw fields.Fail(field, "required but missing.");
}
