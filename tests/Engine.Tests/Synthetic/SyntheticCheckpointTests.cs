using LlmQueue.Engine.Models;
using LlmQueue.Engine.Synthetic;
using LlmQueue.Engine.Tests.Cpu;
using LlmQueue.Engine.Weights;
using Xunit;

namespace LlmQueue.Engine.Tests.Synthetic;

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
        var error = Assert.Throws<ArgumentException>(() => SyntheticModelSpec.Preset("huge"));
        Assert.Contains("huge", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, TensorDType.F32)]
    [InlineData(true, TensorDType.BF16)]
    public void Greedy_decoding_of_the_tiny_model_produces_varied_tokens(bool tied, TensorDType dtype)
    {
        using var folder = TestCheckpoints.Write(SyntheticModelSpec.Tiny with { TieWordEmbeddings = tied, DType = dtype });
        using var model = LlamaModel.Load(folder.Path);
        using var harness = new RunnerHarness(model, blockSize: 16, numBlocks: 8, seed: 1);
        var generated = new List<int>();
        var logits = harness.Step((0, [1, 17, 42, 99], true))[0];
        for (int i = 0; i < 40; i++)
        {
            int next = Array.IndexOf(logits, logits.Max());
            generated.Add(next);
            logits = harness.Step((0, [next], true))[0];
        }

        Assert.True(generated.Distinct().Count() >= 10, $"greedy tokens: {string.Join(' ', generated)}");
    }
}
