using LlmQueue.Gpu.Checks;
using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Planning;

namespace LlmQueue.Gpu.Tests.Checks;

/// <summary>The step breakdown's profiler, on the fake driver: it sees every launch and product of a step, labels them, and changes nothing.</summary>
public class OperationProfilerTests
{
    [Fact]
    public void A_profiled_decode_step_times_every_kernel_and_product_and_leaves_the_logits_unchanged()
    {
        var spec = SyntheticModelSpec.TinyLlama3 with { DType = TensorDType.BF16 };
        using var model = TestModels.Load(spec, "tiny-llama3-bf16");
        var config = model.Config;
        using var gpu = new ReferenceBackend();
        using var profiler = new OperationProfiler(gpu, gateBytes: 4096);
        using var plain = new ForwardHarness(gpu.Fake, gpu.Blas, gpu.Kernels, model, blockTokens: 4, largePages: 32, new StepLimits(64, 4, 128), shuffleSeed: 2);
        using var profiled = new ForwardHarness(profiler.Cuda, profiler.Blas, profiler.Kernels, model, blockTokens: 4, largePages: 32, new StepLimits(64, 4, 128), shuffleSeed: 2);
        int[] prompt = [5, 9, 2, 7, 11, 3];

        Assert.Equal(plain.Step((0, prompt, true))[0], profiled.Step((0, prompt, true))[0]);
        Assert.Empty(profiler.Collect().Operations); // not recording while the model warms up

        profiler.Recording = true;
        var expected = plain.Step((0, [4], true))[0];
        var logits = profiled.Step((0, [4], true))[0];
        var (operations, span) = profiler.Collect();

        Assert.Equal(expected, logits);
        Assert.Equal(config.NumLayers, operations.Count(o => o.Label == $"paged_attention_hd{config.HeadDim}"));
        Assert.Equal(config.NumLayers, operations.Count(o => o.Label == "rope_qkv_store"));
        var lmHead = Assert.Single(operations, o => o.Label == $"gemm 1x{config.VocabSize}x{config.HiddenSize} -> F32");
        Assert.Equal((((long)config.HiddenSize * (config.VocabSize + 1)) * 2) + (config.VocabSize * 4L), lmHead.Bytes);
        Assert.Equal(config.NumLayers, operations.Count(o => o.Label == $"gemm 1x{2 * config.IntermediateSize}x{config.HiddenSize} -> F32"));
        Assert.All(operations.Where(o => !o.Label.StartsWith("gemm", StringComparison.Ordinal)), o => Assert.Equal(0, o.Bytes));
        Assert.True(span >= operations.Max(o => o.Ms));
        Assert.Empty(profiler.Collect().Operations); // collected once
    }
}
