using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Checks;
using LlmQueue.Gpu.Compilation;
using Xunit.Abstractions;

namespace LlmQueue.Gpu.Tests.Device;

/// <summary>The GPU check's kernel and forward checks as tests, on device 0 (skipped where there is none).</summary>
public class DeviceChecksTests(ITestOutputHelper output)
{
    [GpuFact]
    public void Every_kernel_matches_its_reference_on_the_device()
    {
        using var device = OpenDevice();
        using var reference = new ReferenceBackend();
        using var mirror = new KernelMirror(device.Cuda, device.Kernels, device.Blas, reference.Fake, reference.Kernels, reference.Blas);
        AssertAllPassed(KernelChecks.Run(mirror, seed: 1, outOfTime: () => false));
    }

    [GpuFact]
    public void Forward_passes_on_the_device_match_the_reference_path_and_graph_replays_match_direct_launches()
    {
        using var device = OpenDevice();
        using var reference = new ReferenceBackend();
        var models = new[] { "tiny-llama3", "tiny-qwen3", "tiny-gemma2", "tiny-gemma3" }
            .Select(p => (p, TestModels.Load(SyntheticModelSpec.Preset(p) with { DType = TensorDType.BF16 }, p + "-bf16")))
            .ToArray();
        try
        {
            AssertAllPassed(ForwardChecks.Run(device, reference, models, outOfTime: () => false));
        }
        finally
        {
            Array.ForEach(models, m => m.Item2.Dispose());
        }
    }

    [GpuFact]
    public void No_kernel_uses_local_memory_on_the_device()
    {
        using var device = OpenDevice();
        foreach (var (name, attributes) in device.Kernels.Attributes())
        {
            output.WriteLine($"{name}: {attributes.Registers} registers, {attributes.StaticSharedBytes} B shared, {attributes.LocalBytes} B local");
            Assert.Equal(0, attributes.LocalBytes);
        }
    }

    private static DeviceBackend OpenDevice() =>
        DeviceBackend.Open(0, new KernelCache(Path.Combine(Path.GetTempPath(), "llmq-gpu-test-kernels")));

    private void AssertAllPassed(IReadOnlyList<CheckResult> results)
    {
        foreach (var result in results)
        {
            output.WriteLine($"{result.Outcome} {result.Name}: {result.Detail}");
        }

        Assert.All(results, r => Assert.Equal(CheckOutcome.Passed, r.Outcome));
    }
}
