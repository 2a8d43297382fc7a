using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Checks;
using LlmQueue.Gpu.Planning;

namespace LlmQueue.Gpu.Tests.Planning;

/// <summary>Weights land on the device as planned: fused matrices in order, rounded to bf16 when stored otherwise, vectors as f32.</summary>
public class WeightUploadTests
{
    [Theory]
    [InlineData(TensorDType.BF16)]
    [InlineData(TensorDType.F16)]
    [InlineData(TensorDType.F32)]
    public void Every_tensor_arrives_as_the_nearest_bf16_or_exact_f32(TensorDType dtype)
    {
        using var model = TestModels.Load(SyntheticModelSpec.TinyQwen2 with { DType = dtype }, "qwen2-" + dtype);
        var plan = WeightUploadPlan.For(model.Weights);
        using var gpu = new ReferenceBackend();
        // A small chunk makes tensors straddle staging buffers.
        using var weights = WeightUploader.Upload(gpu.Fake, plan, chunkBytes: 1000);
        var layer = model.Weights.Layers[1];

        var qkv = gpu.Fake.Download<ushort>(weights[WeightNames.Qkv(1)], plan[WeightNames.Qkv(1)].Elements);
        float[] expected = [.. Widen(layer.QProj), .. Widen(layer.KProj), .. Widen(layer.VProj)];
        Assert.Equal(expected.Length, qkv.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            AssertNearestBf16(expected[i], qkv[i]);
        }

        Assert.Equal([.. layer.QBias!, .. layer.KBias!, .. layer.VBias!], gpu.Fake.Download<float>(weights[WeightNames.QkvBias(1)], plan[WeightNames.QkvBias(1)].Elements));
        Assert.Equal(model.Weights.FinalNorm, gpu.Fake.Download<float>(weights[WeightNames.FinalNorm], model.Weights.FinalNorm.Length));
        Assert.True(weights.Optional(WeightNames.QNorm(0)).IsNull); // Qwen 2 has no q/k norms
        Assert.False(plan.TiedLmHead);
    }

    [Fact]
    public void A_tied_lm_head_is_the_embedding_uploaded_once()
    {
        using var model = TestModels.Load(SyntheticModelSpec.TinyLlama3 with { DType = TensorDType.BF16 }, "llama3-bf16");
        var plan = WeightUploadPlan.For(model.Weights);
        using var gpu = new ReferenceBackend();
        using var weights = WeightUploader.Upload(gpu.Fake, plan);
        Assert.True(plan.TiedLmHead);
        Assert.False(plan.Contains(WeightNames.LmHead));
        Assert.Equal(weights[WeightNames.Embedding], weights[WeightNames.LmHead]);
        Assert.Equal(plan.TotalBytes, gpu.Fake.Memory.AllocatedBytes);
    }

    [Fact]
    public void Tensors_are_aligned_and_do_not_overlap()
    {
        using var model = TestModels.Load(SyntheticModelSpec.TinyGemma3 with { DType = TensorDType.BF16 }, "gemma3-bf16");
        var plan = WeightUploadPlan.For(model.Weights);
        var ordered = plan.Weights.OrderBy(w => w.Offset).ToArray();
        for (int i = 0; i < ordered.Length; i++)
        {
            Assert.Equal(0, ordered[i].Offset % ArenaLayout.Alignment);
            long end = ordered[i].Offset + ordered[i].Bytes;
            Assert.True(end <= (i + 1 < ordered.Length ? ordered[i + 1].Offset : plan.TotalBytes));
        }
    }

    private static float[] Widen(TensorView view)
    {
        var values = new float[view.ElementCount];
        view.ReadSingles(0, values);
        return values;
    }

    /// <summary>The bf16 value is the one of the two bf16 neighbours of x closer to it (ties: even mantissa).</summary>
    private static void AssertNearestBf16(float x, ushort actual)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        ushort down = (ushort)(bits >> 16);
        ushort up = (ushort)(down + 1);
        double dDown = Math.Abs(x - (double)BitConverter.UInt32BitsToSingle((uint)down << 16));
        double dUp = Math.Abs(x - (double)BitConverter.UInt32BitsToSingle((uint)up << 16));
        ushort expected = dDown < dUp ? down : dUp < dDown ? up : (down & 1) == 0 ? down : up;
        Assert.Equal(expected, actual);
    }
}
