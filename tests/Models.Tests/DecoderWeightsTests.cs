using System.Text.Json.Nodes;
using LlmQueue.Models;
using LlmQueue.Models.Synthetic;
using LlmQueue.Models.Weights;
using LlmQueue.TestKit;

namespace LlmQueue.Models.Tests;

public class DecoderWeightsTests
{
    [Theory]
    [InlineData("Qwen3ForCausalLM", "model.layers.0.self_attn.q_norm.weight")]
    [InlineData("Qwen2ForCausalLM", "model.layers.0.self_attn.q_proj.bias")]
    [InlineData("Gemma2ForCausalLM", "model.layers.0.pre_feedforward_layernorm.weight")]
    public void A_family_tensor_missing_from_the_checkpoint_is_named(string architecture, string missing)
    {
        // A Llama checkpoint relabelled as another family lacks that family's extra tensors.
        using var folder = TestCheckpoints.Write(SyntheticModelSpec.Tiny with { HeadDim = 16 });
        EditConfig(folder, config => config["architectures"] = new JsonArray(architecture));
        var error = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(folder.Path).Dispose());
        Assert.Contains($"'{missing}' is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Untied_config_without_lm_head_fails_naming_it()
    {
        using var folder = TestCheckpoints.Write(SyntheticModelSpec.TinyQwen3);
        EditConfig(folder, config => config["tie_word_embeddings"] = false);
        var error = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(folder.Path).Dispose());
        Assert.Contains("'lm_head.weight' is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tied_config_with_an_lm_head_tensor_uses_the_embedding()
    {
        using var folder = TestCheckpoints.Write(SyntheticModelSpec.Tiny);
        EditConfig(folder, config => config["tie_word_embeddings"] = true);
        using var model = LlamaModel.Load(folder.Path);
        Assert.Equal("model.embed_tokens.weight", model.Weights.LmHead.Name);
    }

    [Fact]
    public void Unsupported_architecture_fails_at_load_naming_it()
    {
        using var folder = TestCheckpoints.Write(SyntheticModelSpec.Tiny);
        EditConfig(folder, config => config["architectures"] = new JsonArray("MixtralForCausalLM"));
        var error = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(folder.Path).Dispose());
        Assert.Contains("MixtralForCausalLM", error.Message, StringComparison.Ordinal);
        Assert.Contains("not supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gemma3_multimodal_export_binds_language_model_tensors()
    {
        using var folder = TestCheckpoints.Write(SyntheticModelSpec.TinyGemma3 with { Multimodal = true, TieWordEmbeddings = false });
        using var model = LlamaModel.Load(folder.Path);
        Assert.Equal("Gemma3ForConditionalGeneration", model.Config.Architecture);
        Assert.Equal("language_model.model.embed_tokens.weight", model.Weights.Embedding.Name);
        Assert.Equal("language_model.lm_head.weight", model.Weights.LmHead.Name);
        Assert.Equal("language_model.model.layers.5.self_attn.o_proj.weight", model.Weights.Layers[5].OProj.Name);
    }

    [Fact]
    public void Gemma3_multimodal_tensors_under_model_language_model_are_found()
    {
        // transformers >= 4.52 names the decoder model.language_model.* and the head lm_head.
        using var folder = TestCheckpoints.Write(SyntheticModelSpec.TinyGemma3 with { Multimodal = true, TieWordEmbeddings = false });
        RenameTensors(folder, name => name.StartsWith("language_model.model.", StringComparison.Ordinal)
            ? "model.language_model." + name["language_model.model.".Length..]
            : name.Replace("language_model.lm_head.", "lm_head.", StringComparison.Ordinal));
        using var model = LlamaModel.Load(folder.Path);
        Assert.Equal("model.language_model.embed_tokens.weight", model.Weights.Embedding.Name);
        Assert.Equal("lm_head.weight", model.Weights.LmHead.Name);
    }

    [Fact]
    public void Gemma_norms_bind_as_one_plus_w_gains_and_embeddings_scale_by_rounded_sqrt_hidden()
    {
        using var folder = TestCheckpoints.Write(SyntheticModelSpec.TinyGemma2 with { DType = TensorDType.BF16 });
        using var model = LlamaModel.Load(folder.Path);
        using var store = WeightStore.Open(folder.Path);
        var stored = store.Get("model.layers.1.post_feedforward_layernorm.weight").ToSingleArray();
        Assert.Equal(stored.Select(w => 1f + w), model.Weights.Layers[1].MlpOutputNorm!);
        // sqrt(48) = 6.928..., which bf16 (8 significant bits) holds as 6.9375.
        Assert.Equal(6.9375f, model.Weights.EmbeddingScale);
    }

    private static void EditConfig(TempDirectory folder, Action<JsonObject> edit)
    {
        string path = folder.File(ModelConfigReader.FileName);
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(config);
        File.WriteAllText(path, config.ToJsonString());
    }

    private static void RenameTensors(TempDirectory folder, Func<string, string> rename)
    {
        string path = folder.File(WeightStore.SingleFileName);
        List<SafetensorsTensor> tensors;
        using (var store = WeightStore.Open(folder.Path))
        {
            tensors = [.. store.Tensors.Values.Select(t => new SafetensorsTensor(rename(t.Name), t.DType, [.. t.Shape], Bytes(t)))];
        }

        SafetensorsWriter.Write(path, tensors);
    }

    private static unsafe byte[] Bytes(TensorView view) => new ReadOnlySpan<byte>(view.Data, checked((int)view.ByteLength)).ToArray();
}
