using LlmQueue.Models;
using LlmQueue.Models.Synthetic;
using LlmQueue.Models.Weights;
using LlmQueue.TestKit;
using Xunit;

namespace LlmQueue.Models.Tests.Synthetic;

public class SyntheticCheckpointTests
{
    [Fact]
    public void Same_seed_gives_identical_files_and_another_seed_differs()
    {
        var spec = SyntheticModelSpec.Tiny with { DType = TensorDType.BF16 };
        using var a = TestCheckpoints.Write(spec);
        using var b = TestCheckpoints.Write(spec);
        using var c = TestCheckpoints.Write(spec with { Seed = spec.Seed + 1 });
        byte[] first = File.ReadAllBytes(a.File(WeightStore.SingleFileName));
        Assert.Equal(first, File.ReadAllBytes(b.File(WeightStore.SingleFileName)));
        Assert.NotEqual(first, File.ReadAllBytes(c.File(WeightStore.SingleFileName)));
    }

    [Fact]
    public void Written_config_and_tensors_match_the_spec()
    {
        var spec = SyntheticModelSpec.Tiny with { VocabSize = 200, Shards = 2, DType = TensorDType.BF16 };
        using var folder = TestCheckpoints.Write(spec);
        using var model = LlamaModel.Load(folder.Path);
        var config = model.Config;
        Assert.Equal((spec.HiddenSize, spec.IntermediateSize, spec.NumLayers, spec.NumHeads, spec.NumKvHeads, spec.VocabSize),
            (config.HiddenSize, config.IntermediateSize, config.NumLayers, config.NumHeads, config.NumKvHeads, config.VocabSize));
        using var store = WeightStore.Open(folder.Path);
        Assert.Equal(spec.ParameterCount, store.Tensors.Values.Sum(t => t.ElementCount));
        Assert.All(store.Tensors.Values, t => Assert.Equal(TensorDType.BF16, t.DType));

        var embedding = model.Weights.Embedding.ToSingleArray();
        double mean = embedding.Average();
        double std = Math.Sqrt(embedding.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, -0.002, 0.002);
        Assert.InRange(std, 0.019, 0.021);
    }

    [Fact]
    public void Small100M_preset_has_about_100M_parameters()
    {
        Assert.InRange(SyntheticModelSpec.Small100M.ParameterCount, 95_000_000, 105_000_000);
        Assert.Equal(TensorDType.BF16, SyntheticModelSpec.Small100M.DType);
    }

    [Fact]
    public void Presets_are_found_by_their_option_names()
    {
        Assert.Same(SyntheticModelSpec.Tiny, SyntheticModelSpec.Preset("tiny"));
        Assert.Same(SyntheticModelSpec.Small100M, SyntheticModelSpec.Preset("Small-100M"));
        Assert.Same(SyntheticModelSpec.Gemma3Small, SyntheticModelSpec.Preset("gemma3-small"));
        var error = Assert.Throws<ArgumentException>(() => SyntheticModelSpec.Preset("huge"));
        Assert.Contains("huge", error.Message, StringComparison.Ordinal);
        Assert.Contains("tiny-gemma3", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tiny", ModelFamily.Llama)]
    [InlineData("tiny-llama3", ModelFamily.Llama)]
    [InlineData("tiny-qwen2", ModelFamily.Qwen2)]
    [InlineData("tiny-qwen3", ModelFamily.Qwen3)]
    [InlineData("tiny-gemma2", ModelFamily.Gemma2)]
    [InlineData("tiny-gemma3", ModelFamily.Gemma3)]
    [InlineData("gemma3-small", ModelFamily.Gemma3)]
    public void Every_preset_is_written_once_and_loaded_through_the_real_loader(string name, ModelFamily family)
    {
        using var cache = new TempDirectory();
        var spec = SyntheticModelSpec.Preset(name);
        string folder = SyntheticModel.EnsureWritten(cache.Path, spec, name);
        Assert.Equal(folder, SyntheticModel.EnsureWritten(cache.Path, spec, name));
        using var model = LlamaModel.Load(folder);
        Assert.Equal(family, model.Config.Family);
        Assert.Equal((spec.NumLayers, spec.HeadDim, spec.VocabSize), (model.Config.NumLayers, model.Config.HeadDim, model.Config.VocabSize));
        using var store = WeightStore.Open(folder);
        Assert.Equal(spec.ParameterCount, store.Tensors.Values.Sum(t => t.ElementCount));
        Assert.NotNull(model.TokenizerPath);
    }

    [Fact]
    public void Gemma3Small_is_shaped_like_gemma_3_270m_at_benchmark_size()
    {
        var spec = SyntheticModelSpec.Gemma3Small;
        Assert.InRange(spec.ParameterCount, 30_000_000, 60_000_000);
        using var folder = TestCheckpoints.Write(spec with { NumLayers = 12, IntermediateSize = 8, VocabSize = 300 });
        using var model = LlamaModel.Load(folder.Path);
        Assert.Equal([5, 11], Enumerable.Range(0, 12).Where(l => model.Config.SlidingWindowOf(l) is null));
        Assert.Equal(128, model.Config.SlidingWindowOf(0));
        Assert.Equal((4, 1, 128), (model.Config.NumHeads, model.Config.NumKvHeads, model.Config.HeadDim));
        Assert.Equal(new RopeSpec(10000f), model.Config.RopeOf(0));
        Assert.Equal(new RopeSpec(1_000_000f), model.Config.RopeOf(5));
    }

    [Theory]
    [InlineData("tiny", false, TensorDType.F32)]
    [InlineData("tiny", true, TensorDType.BF16)]
    [InlineData("tiny-llama3", true, TensorDType.BF16)]
    [InlineData("tiny-qwen2", false, TensorDType.BF16)]
    [InlineData("tiny-qwen3", true, TensorDType.BF16)]
    [InlineData("tiny-gemma2", true, TensorDType.BF16)]
    [InlineData("tiny-gemma3", true, TensorDType.BF16)]
    public void Greedy_decoding_of_the_tiny_models_produces_varied_tokens(string preset, bool tied, TensorDType dtype)
    {
        using var folder = TestCheckpoints.Write(SyntheticModelSpec.Preset(preset) with { TieWordEmbeddings = tied, DType = dtype });
        using var model = LlamaModel.Load(folder.Path);
        // The fp64 reference decodes: this is about the weights the generator writes, not about a runner.
        var generated = new ReferenceDecoder(model).Greedy([1, 17, 42, 99], 40);

        Assert.True(generated.Distinct().Count() >= 10, $"greedy tokens: {string.Join(' ', generated)}");
    }
}
