using LlmQueue.Models;
using LlmQueue.Models.Synthetic;
using LlmQueue.Models.Weights;
using LlmQueue.TestKit;
using Xunit;

namespace LlmQueue.Models.Tests;

public class LlamaModelTests
{
    [Fact]
    public void Loads_a_checkpoint_with_config_weights_and_tokenizer_path()
    {
        var spec = SyntheticModelSpec.Tiny with { VocabSize = 300, Shards = 2 };
        using var folder = TestCheckpoints.Write(spec);
        using var model = LlamaModel.Load(folder.Path);
        Assert.Equal(300, model.Config.VocabSize);
        Assert.Equal(spec.NumLayers, model.Weights.Layers.Count);
        Assert.Equal(folder.File("tokenizer.json"), model.TokenizerPath);
        Assert.Equal(TestCheckpoints.TokenizerJson, File.ReadAllText(model.TokenizerPath!));
        Assert.Equal("lm_head.weight", model.Weights.LmHead.Name);
    }

    [Fact]
    public void Tied_embeddings_use_the_embedding_as_lm_head()
    {
        using var folder = TestCheckpoints.Write(SyntheticModelSpec.Tiny with { TieWordEmbeddings = true });
        using var model = LlamaModel.Load(folder.Path);
        Assert.Equal("model.embed_tokens.weight", model.Weights.LmHead.Name);
    }

    [Fact]
    public void Missing_tensor_fails_naming_it()
    {
        // A checkpoint written for 2 layers but configured for 3 lacks every layer-2 tensor.
        using var folder = TestCheckpoints.Write(SyntheticModelSpec.Tiny);
        RewriteConfig(folder, "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3");
        var error = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(folder.Path).Dispose());
        Assert.Contains("model.layers.2.", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_tensor_shape_fails_naming_tensor_and_shapes()
    {
        using var folder = TestCheckpoints.Write(SyntheticModelSpec.Tiny);
        RewriteConfig(folder, "\"intermediate_size\": 160", "\"intermediate_size\": 96");
        var error = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(folder.Path).Dispose());
        Assert.Contains("model.layers.0.mlp.gate_proj.weight", error.Message, StringComparison.Ordinal);
        Assert.Contains("[160, 64]", error.Message, StringComparison.Ordinal);
        Assert.Contains("expected [96, 64]", error.Message, StringComparison.Ordinal);
        Assert.Contains(WeightStore.SingleFileName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_folder_is_reported()
    {
        var error = Assert.Throws<ModelLoadException>(() => LlamaModel.Load("/nonexistent/llmq-model").Dispose());
        Assert.Contains("/nonexistent/llmq-model", error.Message, StringComparison.Ordinal);
    }

    private static void RewriteConfig(TempDirectory folder, string from, string to)
    {
        string path = folder.File("config.json");
        string text = File.ReadAllText(path);
        Assert.Contains(from, text, StringComparison.Ordinal);
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
    }
}
