using System.Text.Json;
using LlmQueue.Models.Weights;

namespace LlmQueue.Models.Synthetic;

/// <summary>config.json of a synthetic checkpoint, with each family's own field names.</summary>
internal static class SyntheticConfig
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Json(SyntheticModelSpec spec)
    {
        var text = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { Architecture(spec.Family) },
            ["model_type"] = ModelType(spec.Family),
            ["hidden_size"] = spec.HiddenSize,
            ["intermediate_size"] = spec.IntermediateSize,
            ["num_hidden_layers"] = spec.NumLayers,
            ["num_attention_heads"] = spec.NumHeads,
            ["num_key_value_heads"] = spec.NumKvHeads,
            ["head_dim"] = spec.HeadDim,
            ["vocab_size"] = spec.VocabSize,
            ["max_position_embeddings"] = spec.MaxPositionEmbeddings,
            ["rms_norm_eps"] = spec.RmsNormEps,
            ["rope_theta"] = spec.RopeTheta,
            ["rope_scaling"] = RopeScaling(spec.RopeScaling),
            ["tie_word_embeddings"] = spec.TieWordEmbeddings,
            ["bos_token_id"] = spec.BosTokenId,
            ["eos_token_id"] = spec.EosTokenId,
            ["torch_dtype"] = spec.DType == TensorDType.F32 ? "float32" : spec.DType == TensorDType.F16 ? "float16" : "bfloat16",
        };
        AddFamilyFields(spec, text);
        if (!spec.Multimodal)
        {
            return JsonSerializer.Serialize(text, Indented);
        }

        // Gemma3ForConditionalGeneration: the decoder's fields move into text_config; ids and dtype stay on top.
        text.Remove("architectures");
        text["model_type"] = "gemma3_text";
        var top = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { "Gemma3ForConditionalGeneration" },
            ["model_type"] = "gemma3",
            ["eos_token_id"] = text["eos_token_id"],
            ["torch_dtype"] = text["torch_dtype"],
            ["text_config"] = text,
            ["vision_config"] = new Dictionary<string, object> { ["model_type"] = "siglip_vision_model" },
        };
        return JsonSerializer.Serialize(top, Indented);
    }

    private static void AddFamilyFields(SyntheticModelSpec spec, Dictionary<string, object?> text)
    {
        switch (spec.Family)
        {
            case ModelFamily.Llama:
                text["hidden_act"] = "silu";
                break;
            case ModelFamily.Qwen2:
            case ModelFamily.Qwen3:
                text["hidden_act"] = "silu";
                text["use_sliding_window"] = false;
                text["sliding_window"] = null;
                text["max_window_layers"] = spec.NumLayers;
                break;
            default:
                text["hidden_activation"] = "gelu_pytorch_tanh";
                text["query_pre_attn_scalar"] = spec.QueryPreAttnScalar;
                text["sliding_window"] = spec.SlidingWindow;
                text["attn_logit_softcapping"] = spec.AttentionSoftcap;
                text["final_logit_softcapping"] = spec.FinalLogitSoftcap;
                if (spec.Family == ModelFamily.Gemma3)
                {
                    AddGemma3Fields(spec, text);
                }

                break;
        }
    }

    private static void AddGemma3Fields(SyntheticModelSpec spec, Dictionary<string, object?> text)
    {
        text["rope_local_base_freq"] = spec.LocalRopeTheta;
        if (spec.WriteLayerTypes)
        {
            text["layer_types"] = Enumerable.Range(0, spec.NumLayers)
                .Select(i => (i + 1) % spec.SlidingWindowPattern == 0 ? "full_attention" : "sliding_attention")
                .ToArray();
        }
        else
        {
            text["sliding_window_pattern"] = spec.SlidingWindowPattern;
        }
    }

    private static Dictionary<string, object>? RopeScaling(RopeScaling? scaling) => scaling switch
    {
        null => null,
        { Kind: RopeScalingKind.Linear } => new() { ["rope_type"] = "linear", ["factor"] = scaling.Factor },
        _ => new()
        {
            ["rope_type"] = "llama3",
            ["factor"] = scaling.Factor,
            ["low_freq_factor"] = scaling.LowFreqFactor,
            ["high_freq_factor"] = scaling.HighFreqFactor,
            ["original_max_position_embeddings"] = scaling.OriginalMaxPositionEmbeddings,
        },
    };

    private static string Architecture(ModelFamily family) => family switch
    {
        ModelFamily.Qwen2 => "Qwen2ForCausalLM",
        ModelFamily.Qwen3 => "Qwen3ForCausalLM",
        ModelFamily.Gemma2 => "Gemma2ForCausalLM",
        ModelFamily.Gemma3 => "Gemma3ForCausalLM",
        _ => "LlamaForCausalLM",
    };

    private static string ModelType(ModelFamily family) => family switch
    {
        ModelFamily.Qwen2 => "qwen2",
        ModelFamily.Qwen3 => "qwen3",
        ModelFamily.Gemma2 => "gemma2",
        ModelFamily.Gemma3 => "gemma3_text",
        _ => "llama",
    };
}
