using System.Text.Json.Nodes;
using LlmQueue.Models;
using LlmQueue.Models.Weights;

namespace LlmQueue.Models.Tests;

/// <summary>Real published config.json files of each family (trimmed of unused fields) and their variants.</summary>
public class ModelConfigFamilyTests
{
    private const string Source = "/models/x/config.json";

    private const string Llama32 = """
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
          "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16, "head_dim": 64,
          "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
          "max_position_embeddings": 131072, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
          "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                           "original_max_position_embeddings": 8192, "rope_type": "llama3"},
          "attention_bias": false, "mlp_bias": false, "tie_word_embeddings": true,
          "bos_token_id": 128000, "eos_token_id": 128001, "torch_dtype": "bfloat16"
        }
        """;

    private const string Gemma2 = """
        {
          "architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2",
          "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0, "cache_implementation": "hybrid",
          "head_dim": 256, "hidden_act": "gelu_pytorch_tanh", "hidden_activation": "gelu_pytorch_tanh",
          "hidden_size": 2304, "intermediate_size": 9216, "max_position_embeddings": 8192,
          "num_attention_heads": 8, "num_hidden_layers": 26, "num_key_value_heads": 4,
          "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_theta": 10000.0,
          "sliding_window": 4096, "torch_dtype": "float32", "vocab_size": 256000,
          "bos_token_id": 2, "eos_token_id": [1, 107]
        }
        """;

    private const string Gemma3Text270m = """
        {
          "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "_sliding_window_pattern": 6,
          "attn_logit_softcapping": null, "final_logit_softcapping": null, "head_dim": 256,
          "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 640, "intermediate_size": 2048,
          "layer_types": ["sliding_attention", "sliding_attention", "sliding_attention", "sliding_attention",
            "sliding_attention", "full_attention", "sliding_attention", "sliding_attention", "sliding_attention",
            "sliding_attention", "sliding_attention", "full_attention", "sliding_attention", "sliding_attention",
            "sliding_attention", "sliding_attention", "sliding_attention", "full_attention"],
          "max_position_embeddings": 32768, "num_attention_heads": 4, "num_hidden_layers": 18,
          "num_key_value_heads": 1, "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06,
          "rope_local_base_freq": 10000.0, "rope_scaling": null, "rope_theta": 1000000.0,
          "sliding_window": 512, "torch_dtype": "bfloat16", "vocab_size": 262144,
          "bos_token_id": 2, "eos_token_id": 1
        }
        """;

    // google/gemma-3-4b-it: the text_config holds only what differs from Gemma3TextConfig's defaults.
    private const string Gemma3Multimodal = """
        {
          "architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
          "boi_token_index": 255999, "eoi_token_index": 256000, "eos_token_id": [1, 106],
          "image_token_index": 262144, "mm_tokens_per_image": 256, "torch_dtype": "bfloat16",
          "text_config": {
            "hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text",
            "num_hidden_layers": 34, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
            "sliding_window": 1024
          },
          "vision_config": {"hidden_size": 1152, "model_type": "siglip_vision_model"}
        }
        """;

    private const string Qwen3 = """
        {
          "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "attention_bias": false,
          "head_dim": 128, "hidden_act": "silu", "hidden_size": 1024, "intermediate_size": 3072,
          "max_position_embeddings": 40960, "max_window_layers": 28, "num_attention_heads": 16,
          "num_hidden_layers": 28, "num_key_value_heads": 8, "rms_norm_eps": 1e-06, "rope_scaling": null,
          "rope_theta": 1000000, "sliding_window": null, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
          "use_sliding_window": false, "vocab_size": 151936, "bos_token_id": 151643, "eos_token_id": 151645
        }
        """;

    private const string Qwen25 = """
        {
          "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_act": "silu",
          "hidden_size": 896, "intermediate_size": 4864, "max_position_embeddings": 32768,
          "max_window_layers": 21, "num_attention_heads": 14, "num_hidden_layers": 24,
          "num_key_value_heads": 2, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
          "sliding_window": 32768, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
          "use_sliding_window": false, "vocab_size": 151936, "bos_token_id": 151643, "eos_token_id": 151643
        }
        """;

    [Fact]
    public void Llama_3_2_reads_llama3_rope_scaling()
    {
        var config = ModelConfigReader.Parse(Llama32, Source);
        Assert.Equal(ModelFamily.Llama, config.Family);
        Assert.Equal(new RopeScaling(RopeScalingKind.Llama3, 32f, 1f, 4f, 8192), config.RopeScaling);
        Assert.Equal(new RopeSpec(500000f, config.RopeScaling), config.RopeOf(15));
        Assert.Equal(HiddenActivation.Silu, config.Activation);
        Assert.False(config.NormAddsOne || config.SandwichNorms || config.QkNorm || config.QkvBias || config.ScalesEmbeddings);
        Assert.Null(config.SlidingWindowOf(0));
        Assert.Equal(0.125f, config.AttentionScale);
    }

    [Fact]
    public void Gemma_2_alternates_sliding_even_layers_and_reads_softcaps()
    {
        var config = ModelConfigReader.Parse(Gemma2, Source);
        Assert.Equal(ModelFamily.Gemma2, config.Family);
        Assert.Equal(4096, config.SlidingWindowOf(0));
        Assert.Null(config.SlidingWindowOf(1));
        Assert.Equal(4096, config.SlidingWindowOf(24));
        Assert.Null(config.SlidingWindowOf(25));
        Assert.Equal(50f, config.AttentionSoftcap);
        Assert.Equal(30f, config.FinalLogitSoftcap);
        Assert.Equal(1f / 16, config.AttentionScale);
        Assert.True(config.TieWordEmbeddings); // Gemma2Config's default
        Assert.True(config.NormAddsOne && config.SandwichNorms && config.ScalesEmbeddings);
        Assert.False(config.QkNorm);
        Assert.Equal(HiddenActivation.GeluTanh, config.Activation);
        Assert.Equal([1, 107], config.EosTokenIds);
        Assert.Null(config.LocalRope);
    }

    [Fact]
    public void Gemma_3_text_reads_layer_types_and_local_rope()
    {
        var config = ModelConfigReader.Parse(Gemma3Text270m, Source);
        Assert.Equal(ModelFamily.Gemma3, config.Family);
        Assert.Equal([5, 11, 17], Enumerable.Range(0, 18).Where(l => config.SlidingWindowOf(l) is null));
        Assert.Equal(512, config.SlidingWindowOf(0));
        Assert.Equal(new RopeSpec(10000f), config.RopeOf(0));
        Assert.Equal(new RopeSpec(1_000_000f), config.RopeOf(5));
        Assert.Null(config.AttentionSoftcap);
        Assert.Null(config.FinalLogitSoftcap);
        Assert.True(config.QkNorm && config.NormAddsOne && config.TieWordEmbeddings);
        Assert.Equal(256, config.HeadDim);
    }

    [Theory]
    [InlineData("sliding_window_pattern")]
    [InlineData("_sliding_window_pattern")]
    public void Gemma_3_without_layer_types_derives_them_from_the_pattern(string field)
    {
        var node = JsonNode.Parse(Gemma3Text270m)!.AsObject();
        node.Remove("layer_types");
        node.Remove("_sliding_window_pattern");
        node[field] = 3;
        var config = ModelConfigReader.Parse(node.ToJsonString(), Source);
        Assert.Equal([2, 5, 8, 11, 14, 17], Enumerable.Range(0, 18).Where(l => config.SlidingWindowOf(l) is null));
    }

    [Fact]
    public void Gemma_3_multimodal_reads_text_config_with_gemma3_text_defaults()
    {
        var config = ModelConfigReader.Parse(Gemma3Multimodal, Source);
        Assert.Equal("Gemma3ForConditionalGeneration", config.Architecture);
        Assert.Equal((2560, 10240, 34), (config.HiddenSize, config.IntermediateSize, config.NumLayers));
        Assert.Equal((8, 4, 256, 262208), (config.NumHeads, config.NumKvHeads, config.HeadDim, config.VocabSize));
        Assert.Equal(1024, config.SlidingWindowOf(0));
        Assert.Null(config.SlidingWindowOf(5));
        Assert.Equal(new RopeSpec(1_000_000f, new RopeScaling(RopeScalingKind.Linear, 8f)), config.RopeOf(5));
        Assert.Equal(new RopeSpec(10000f), config.RopeOf(4));
        Assert.Equal(1f / 16, config.AttentionScale);
        Assert.Equal([1, 106], config.EosTokenIds);
        Assert.Equal("bfloat16", config.TorchDtype);
        Assert.True(config.TieWordEmbeddings);
    }

    [Fact]
    public void Qwen_3_has_an_independent_head_dim_and_q_k_norms()
    {
        var config = ModelConfigReader.Parse(Qwen3, Source);
        Assert.Equal(ModelFamily.Qwen3, config.Family);
        Assert.Equal(128, config.HeadDim);
        Assert.True(config.QkNorm);
        Assert.False(config.NormAddsOne || config.QkvBias || config.OutputBias);
        Assert.True(config.TieWordEmbeddings);
        Assert.Empty(config.LayerTypes);
        Assert.Equal(151645, Assert.Single(config.EosTokenIds));
    }

    [Fact]
    public void Qwen_2_has_q_k_v_biases_and_ignores_the_sliding_window_unless_enabled()
    {
        var config = ModelConfigReader.Parse(Qwen25, Source);
        Assert.Equal(ModelFamily.Qwen2, config.Family);
        Assert.True(config.QkvBias);
        Assert.False(config.OutputBias);
        Assert.Equal(64, config.HeadDim);
        Assert.All(Enumerable.Range(0, 24), l => Assert.Null(config.SlidingWindowOf(l)));

        var node = JsonNode.Parse(Qwen25)!.AsObject();
        node["use_sliding_window"] = true;
        node["sliding_window"] = 4096;
        var sliding = ModelConfigReader.Parse(node.ToJsonString(), Source);
        Assert.Null(sliding.SlidingWindowOf(20));
        Assert.Equal(4096, sliding.SlidingWindowOf(21));
    }

    [Fact]
    public void Transformers_v5_dtype_and_flat_rope_parameters_are_read()
    {
        var node = JsonNode.Parse(Llama32)!.AsObject();
        node.Remove("torch_dtype");
        node.Remove("rope_theta");
        node["dtype"] = "float16";
        node["rope_parameters"] = node["rope_scaling"]!.DeepClone();
        node["rope_parameters"]!["rope_theta"] = 250000.0;
        node.Remove("rope_scaling");
        var config = ModelConfigReader.Parse(node.ToJsonString(), Source);
        Assert.Equal("float16", config.TorchDtype);
        Assert.Equal(250000f, config.RopeTheta);
        Assert.Equal(RopeScalingKind.Llama3, config.RopeScaling!.Kind);
    }

    [Fact]
    public void Transformers_v5_rope_parameters_per_layer_type_are_read()
    {
        var node = JsonNode.Parse(Gemma3Text270m)!.AsObject();
        node.Remove("rope_theta");
        node.Remove("rope_local_base_freq");
        node.Remove("rope_scaling");
        node["rope_parameters"] = JsonNode.Parse("""
            {"full_attention": {"rope_type": "linear", "factor": 4.0, "rope_theta": 500000.0},
             "sliding_attention": {"rope_type": "default", "rope_theta": 20000.0}}
            """);
        var config = ModelConfigReader.Parse(node.ToJsonString(), Source);
        Assert.Equal(new RopeSpec(500000f, new RopeScaling(RopeScalingKind.Linear, 4f)), config.RopeOf(5));
        Assert.Equal(new RopeSpec(20000f), config.RopeOf(0));
    }

    [Fact]
    public void Legacy_type_key_selects_linear_scaling()
    {
        var node = JsonNode.Parse(Llama32)!.AsObject();
        node["rope_scaling"] = JsonNode.Parse("""{"type": "linear", "factor": 2.0}""");
        Assert.Equal(new RopeScaling(RopeScalingKind.Linear, 2f), ModelConfigReader.Parse(node.ToJsonString(), Source).RopeScaling);
    }

    [Fact]
    public void Model_type_alone_selects_the_architecture()
    {
        var node = JsonNode.Parse(Gemma2)!.AsObject();
        node.Remove("architectures");
        Assert.Equal("Gemma2ForCausalLM", ModelConfigReader.Parse(node.ToJsonString(), Source).Architecture);
    }

    [Theory]
    [InlineData(Llama32, "rope_scaling", """{"rope_type": "yarn", "factor": 4.0}""", "rope_scaling.rope_type", "'yarn' is not supported")]
    [InlineData(Llama32, "rope_scaling", """{"rope_type": "llama3", "factor": 32.0}""", "rope_scaling.low_freq_factor", "required but missing")]
    [InlineData(Llama32, "rope_scaling", """{"rope_type": "linear"}""", "rope_scaling.factor", "required but missing")]
    [InlineData(Llama32, "rope_parameters", """{"rope_type": "default", "partial_rotary_factor": 0.5}""", "rope_parameters.partial_rotary_factor", "not supported")]
    [InlineData(Gemma3Text270m, "layer_types", """["sliding_attention"]""", "layer_types", "1 entries for 18 layers")]
    [InlineData(Gemma2, "layer_types", """["chunked_attention"]""", "layer_types", "'chunked_attention' is not supported")]
    [InlineData(Gemma2, "hidden_activation", "\"gelu\"", "hidden_activation", "'gelu' is not supported")]
    [InlineData(Gemma2, "architectures", """["MistralForCausalLM"]""", "architectures", "Gemma3ForConditionalGeneration")]
    [InlineData(Gemma3Multimodal, "text_config", """{"hidden_size": "wide"}""", "text_config.hidden_size", "positive integer")]
    [InlineData(Gemma3Multimodal, "text_config", "[]", "text_config", "must be an object")]
    public void Unsupported_or_malformed_variants_fail_naming_the_field(string json, string field, string value, string path, string problem)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node[field] = JsonNode.Parse(value);
        var error = Assert.Throws<ModelLoadException>(() => ModelConfigReader.Parse(node.ToJsonString(), Source));
        Assert.Contains(Source, error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{path}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }
}
