using System.Text.Json.Nodes;
using LlmQueue.Models;
using LlmQueue.Models.Weights;
using LlmQueue.TestKit;
using Xunit;

namespace LlmQueue.Models.Tests;

public class ModelConfigReaderTests
{
    private const string Source = "/models/x/config.json";

    private const string Llama = """
        {
          "architectures": ["LlamaForCausalLM"],
          "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
          "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
          "max_position_embeddings": 131072, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
          "tie_word_embeddings": true, "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009],
          "torch_dtype": "bfloat16"
        }
        """;

    [Fact]
    public void Reads_a_llama_config()
    {
        var config = ModelConfigReader.Parse(Llama, Source);
        Assert.Equal(2048, config.HiddenSize);
        Assert.Equal(8192, config.IntermediateSize);
        Assert.Equal(16, config.NumLayers);
        Assert.Equal(32, config.NumHeads);
        Assert.Equal(8, config.NumKvHeads);
        Assert.Equal(64, config.HeadDim);
        Assert.Equal(128256, config.VocabSize);
        Assert.Equal(131072, config.MaxPositionEmbeddings);
        Assert.Equal(1e-5f, config.RmsNormEps);
        Assert.Equal(500000f, config.RopeTheta);
        Assert.True(config.TieWordEmbeddings);
        Assert.Equal(128000, config.BosTokenId);
        Assert.Equal([128001, 128008, 128009], config.EosTokenIds);
        Assert.Equal("bfloat16", config.TorchDtype);
    }

    [Fact]
    public void Applies_defaults_for_optional_fields()
    {
        var config = ModelConfigReader.Parse(
            """{"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":10,"eos_token_id":2,"head_dim":32}""",
            Source);
        Assert.Equal(4, config.NumKvHeads);
        Assert.Equal(32, config.HeadDim);
        Assert.False(config.TieWordEmbeddings);
        Assert.Equal([2], config.EosTokenIds);
        Assert.Null(config.BosTokenId);
    }

    [Theory]
    [InlineData("hidden_size", null, "required but missing")]
    [InlineData("num_hidden_layers", "0", "positive integer")]
    [InlineData("vocab_size", "\"big\"", "positive integer")]
    [InlineData("num_key_value_heads", "5", "does not divide")]
    [InlineData("rms_norm_eps", "-1", "positive number")]
    [InlineData("eos_token_id", "[1, \"x\"]", "non-negative integer")]
    [InlineData("tie_word_embeddings", "\"yes\"", "true or false")]
    [InlineData("architectures", "[\"GemmaForCausalLM\"]", "not supported; supported: LlamaForCausalLM, Qwen2ForCausalLM")]
    [InlineData("mlp_bias", "true", "not supported")]
    [InlineData("hidden_act", "\"gelu\"", "'gelu' is not supported")]
    public void Invalid_or_missing_fields_name_the_file_and_field(string field, string? json, string problem)
    {
        var node = JsonNode.Parse(Llama)!.AsObject();
        node.Remove(field);
        if (json is not null)
        {
            node[field] = JsonNode.Parse(json);
        }

        var error = Assert.Throws<ModelLoadException>(() => ModelConfigReader.Parse(node.ToJsonString(), Source));
        Assert.Contains(Source, error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{field}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_json_names_the_file()
    {
        var error = Assert.Throws<ModelLoadException>(() => ModelConfigReader.Parse("{\"hidden_size\": ", Source));
        Assert.Contains(Source, error.Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_reported()
    {
        using var dir = new TempDirectory();
        string path = dir.File("config.json");
        var error = Assert.Throws<ModelLoadException>(() => ModelConfigReader.Read(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }
}
