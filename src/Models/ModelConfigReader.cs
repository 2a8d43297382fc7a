using System.Text.Json;
using LlmQueue.Models.Weights;

namespace LlmQueue.Models;

/// <summary>
/// Reads a Hugging Face config.json (Llama, Qwen 2/3, Gemma 2/3; Gemma 3 multimodal exports through
/// their text_config) into a <see cref="ModelConfig"/>. Missing optional fields take the family's
/// transformers defaults; anything that would run differently from transformers is refused by name.
/// </summary>
public static class ModelConfigReader
{
    public const string FileName = "config.json";

    private static readonly Dictionary<string, ModelFamily> Architectures = new(StringComparer.Ordinal)
    {
        ["LlamaForCausalLM"] = ModelFamily.Llama,
        ["Qwen2ForCausalLM"] = ModelFamily.Qwen2,
        ["Qwen3ForCausalLM"] = ModelFamily.Qwen3,
        ["Gemma2ForCausalLM"] = ModelFamily.Gemma2,
        ["Gemma3ForCausalLM"] = ModelFamily.Gemma3,
        ["Gemma3ForConditionalGeneration"] = ModelFamily.Gemma3,
    };

    // model_type of configs without "architectures", mapped to the architecture transformers would build.
    private static readonly Dictionary<string, string> ModelTypes = new(StringComparer.Ordinal)
    {
        ["llama"] = "LlamaForCausalLM",
        ["qwen2"] = "Qwen2ForCausalLM",
        ["qwen3"] = "Qwen3ForCausalLM",
        ["gemma2"] = "Gemma2ForCausalLM",
        ["gemma3_text"] = "Gemma3ForCausalLM",
        ["gemma3"] = "Gemma3ForConditionalGeneration",
    };

    public static ModelConfig Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ModelLoadException.For(path, $"cannot read file: {e.Message}", e);
        }

        return Parse(json, path);
    }

    /// <summary>Parses config JSON; <paramref name="source"/> names the file in error messages.</summary>
    public static ModelConfig Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw ModelLoadException.For(source, $"not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = new ConfigFields(document.RootElement, source);
            return Build(root);
        }
    }

    private static ModelConfig Build(ConfigFields root)
    {
        string architecture = ReadArchitecture(root);
        var defaults = FamilyDefaults.For(Architectures[architecture]);
        var family = defaults.Family;
        // Multimodal exports keep the decoder's fields in text_config; ids and dtype may sit at either level.
        var text = root.OptionalObject("text_config") ?? root;
        int hidden = Size(text, defaults, "hidden_size");
        int heads = Size(text, defaults, "num_attention_heads");
        int kvHeads = text.OptionalPositiveInt("num_key_value_heads") ?? defaults.Sizes.GetValueOrDefault("num_key_value_heads", heads);
        if (heads % kvHeads != 0)
        {
            throw text.Fail("num_key_value_heads", $"{kvHeads} does not divide num_attention_heads {heads}.");
        }

        int headDim = text.OptionalPositiveInt("head_dim") ?? defaults.HeadDim ?? DefaultHeadDim(text, hidden, heads);
        if (headDim % 2 != 0)
        {
            throw text.Fail("head_dim", $"{headDim} must be even for rotary embeddings.");
        }

        int layers = Size(text, defaults, "num_hidden_layers");
        var (globalRope, localRope) = RopeConfigReader.Read(text, defaults);
        var (layerTypes, window) = LayerTypesReader.Read(text, defaults, layers);
        bool gemma = family is ModelFamily.Gemma2 or ModelFamily.Gemma3;
        bool attentionBias = ReadAttentionBias(text);
        return new ModelConfig
        {
            Architecture = architecture,
            Family = family,
            HiddenSize = hidden,
            IntermediateSize = Size(text, defaults, "intermediate_size"),
            NumLayers = layers,
            NumHeads = heads,
            NumKvHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = Size(text, defaults, "vocab_size"),
            MaxPositionEmbeddings = text.OptionalPositiveInt("max_position_embeddings") ?? defaults.MaxPositionEmbeddings,
            RmsNormEps = text.OptionalPositiveFloat("rms_norm_eps") ?? 1e-6f,
            RopeTheta = globalRope.Theta,
            RopeScaling = globalRope.Scaling,
            LocalRope = localRope,
            // The outer model owns lm_head in a multimodal export: its flag wins (transformers 5 writes text_config's as
            // false while the outer model ties and the checkpoint has no lm_head; the transformers parity fixture).
            TieWordEmbeddings = root.OptionalBool("tie_word_embeddings") ?? text.OptionalBool("tie_word_embeddings") ?? defaults.TieWordEmbeddings,
            BosTokenId = (root.OptionalTokenIds("bos_token_id") ?? text.OptionalTokenIds("bos_token_id")) is [int bos, ..] ? bos : null,
            EosTokenIds = root.OptionalTokenIds("eos_token_id") ?? text.OptionalTokenIds("eos_token_id") ?? [],
            TorchDtype = Dtype(root) ?? Dtype(text),
            Activation = ReadActivation(text, defaults),
            NormAddsOne = gemma,
            SandwichNorms = gemma,
            QkNorm = family is ModelFamily.Qwen3 or ModelFamily.Gemma3,
            // Qwen 2 hard-codes biases on q, k and v (none on o); the others follow attention_bias.
            QkvBias = family == ModelFamily.Qwen2 || attentionBias,
            OutputBias = family != ModelFamily.Qwen2 && attentionBias,
            ScalesEmbeddings = gemma,
            QueryPreAttnScalar = gemma ? text.OptionalPositiveFloat("query_pre_attn_scalar") ?? defaults.QueryPreAttnScalar : null,
            AttentionSoftcap = gemma ? Softcap(text, "attn_logit_softcapping", defaults.AttentionSoftcap) : null,
            FinalLogitSoftcap = gemma ? Softcap(text, "final_logit_softcapping", defaults.FinalLogitSoftcap) : null,
            SlidingWindow = window,
            LayerTypes = layerTypes,
        };
    }

    private static string ReadArchitecture(ConfigFields root)
    {
        string supported = string.Join(", ", Architectures.Keys);
        var architectures = root.OptionalStringList("architectures");
        if (architectures is null)
        {
            string? modelType = root.OptionalString("model_type");
            return modelType is not null && ModelTypes.TryGetValue(modelType, out var fromType)
                ? fromType
                : throw root.Fail("architectures", $"missing, and model_type '{modelType}' names no supported architecture; supported: {supported}.");
        }

        return architectures.FirstOrDefault(Architectures.ContainsKey)
            ?? throw root.Fail("architectures", $"[{string.Join(", ", architectures)}] is not supported; supported: {supported}.");
    }

    private static int Size(ConfigFields text, FamilyDefaults defaults, string field) =>
        text.OptionalPositiveInt(field)
        ?? (defaults.Sizes.TryGetValue(field, out int size) ? size : throw text.Fail(field, "required but missing."));

    private static int DefaultHeadDim(ConfigFields text, int hidden, int heads) =>
        hidden % heads == 0
            ? hidden / heads
            : throw text.Fail("head_dim", $"missing and hidden_size {hidden} is not divisible by num_attention_heads {heads}.");

    private static bool ReadAttentionBias(ConfigFields text) =>
        text.OptionalBool("mlp_bias") == true
            ? throw text.Fail("mlp_bias", "MLP biases are not supported.")
            : text.OptionalBool("attention_bias") ?? false;

    private static HiddenActivation ReadActivation(ConfigFields text, FamilyDefaults defaults)
    {
        string name = text.OptionalString(defaults.ActivationField) ?? defaults.Activation;
        return name switch
        {
            "silu" or "swish" => HiddenActivation.Silu,
            "gelu_pytorch_tanh" => HiddenActivation.GeluTanh,
            _ => throw text.Fail(defaults.ActivationField, $"activation '{name}' is not supported; 'silu' and 'gelu_pytorch_tanh' are."),
        };
    }

    // An explicit null turns a family's default softcap off (Gemma 3 writes null).
    private static float? Softcap(ConfigFields text, string field, float? familyDefault) =>
        text.Contains(field) ? text.OptionalPositiveFloat(field) : familyDefault;

    private static string? Dtype(ConfigFields fields) => fields.OptionalString("torch_dtype") ?? fields.OptionalString("dtype");
}
