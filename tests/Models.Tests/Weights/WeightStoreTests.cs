using LlmQueue.Models.Synthetic;
using LlmQueue.Models.Weights;
using LlmQueue.TestKit;
using Xunit;

namespace LlmQueue.Models.Tests.Weights;

public class WeightStoreTests
{
    [Fact]
    public void Sharded_and_single_file_checkpoints_hold_identical_tensors()
    {
        var spec = SyntheticModelSpec.Tiny with { DType = TensorDType.BF16 };
        using var single = TestCheckpoints.Write(spec);
        using var sharded = TestCheckpoints.Write(spec with { Shards = 3 });
        Assert.True(File.Exists(sharded.File(WeightStore.IndexFileName)));
        Assert.False(File.Exists(sharded.File(WeightStore.SingleFileName)));

        using var a = WeightStore.Open(single.Path);
        using var b = WeightStore.Open(sharded.Path);
        Assert.Equal(a.Tensors.Keys.Order(), b.Tensors.Keys.Order());
        Assert.Equal(3, b.Tensors.Values.Select(t => t.SourceFile).Distinct().Count());
        foreach (var (name, tensor) in a.Tensors)
        {
            var other = b.Get(name);
            Assert.Equal(tensor.DType, other.DType);
            Assert.Equal(tensor.Shape, other.Shape);
            Assert.Equal(tensor.ToSingleArray(), other.ToSingleArray());
        }
    }

    [Fact]
    public void Missing_tensor_is_named()
    {
        using var folder = TestCheckpoints.Write(SyntheticModelSpec.Tiny);
        using var store = WeightStore.Open(folder.Path);
        var error = Assert.Throws<ModelLoadException>(() => store.Get("model.layers.9.mlp.up_proj.weight"));
        Assert.Contains("model.layers.9.mlp.up_proj.weight", error.Message, StringComparison.Ordinal);
        Assert.Contains(folder.Path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Index_pointing_at_the_wrong_shard_is_reported()
    {
        using var folder = TestCheckpoints.Write(SyntheticModelSpec.Tiny with { Shards = 2 });
        string index = folder.File(WeightStore.IndexFileName);
        string text = File.ReadAllText(index);
        // Move the final norm's entry to the first shard, which does not contain it.
        File.WriteAllText(index, text.Replace("\"model.norm.weight\":\"model-00002-of-00002.safetensors\"", "\"model.norm.weight\":\"model-00001-of-00002.safetensors\"", StringComparison.Ordinal));
        var error = Assert.Throws<ModelLoadException>(() => WeightStore.Open(folder.Path).Dispose());
        Assert.Contains(index, error.Message, StringComparison.Ordinal);
        Assert.Contains("model.norm.weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Folder_without_weights_is_reported()
    {
        using var folder = new TempDirectory();
        var error = Assert.Throws<ModelLoadException>(() => WeightStore.Open(folder.Path).Dispose());
        Assert.Contains(WeightStore.SingleFileName, error.Message, StringComparison.Ordinal);
    }
}
