using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Checks;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Reference;

namespace LlmQueue.Gpu.Tests.Checks;

/// <summary>The GPU check's own machinery, with the fake driver standing in for the device.</summary>
public class KernelChecksTests
{
    private const int Cases = 12; // embedding, norms, RoPE and the first attention cases

    [Fact]
    public void Identical_backends_pass_every_check_with_zero_error()
    {
        using var device = new ReferenceBackend();
        using var reference = new ReferenceBackend();
        using var mirror = new KernelMirror(device.Cuda, device.Kernels, device.Blas, reference.Fake, reference.Kernels, reference.Blas);
        int started = 0;
        var results = KernelChecks.Run(mirror, seed: 3, outOfTime: () => ++started > Cases);
        Assert.Equal(Cases, results.Count(r => r.Outcome == CheckOutcome.Passed));
        Assert.All(results.Where(r => r.Outcome == CheckOutcome.Passed), r => Assert.Contains("relative error 0.00E+000", r.Detail, StringComparison.Ordinal));
        Assert.All(results.Skip(Cases), r => Assert.Equal(CheckOutcome.NotRun, r.Outcome));
    }

    [Fact]
    public void A_device_whose_kernels_write_nothing_fails_every_kernel_check()
    {
        using var silent = new SilentLaunches();
        using var blas = new FakeBlas(silent.Fake);
        using var kernels = Kernels.KernelModule.Load(silent, []);
        using var reference = new ReferenceBackend();
        using var mirror = new KernelMirror(silent, kernels, blas, reference.Fake, reference.Kernels, reference.Blas);
        int started = 0;
        var results = KernelChecks.Run(mirror, seed: 4, outOfTime: () => ++started > Cases);
        // Outputs start as NaN: an output the device never wrote compares as an infinite error.
        Assert.All(results.Take(Cases), r => Assert.Equal(CheckOutcome.Failed, r.Outcome));
    }

    /// <summary>The fake driver with every kernel launch dropped.</summary>
    private sealed class SilentLaunches() : DelegatingCudaApi(new FakeCudaApi(), ownsInner: true)
    {
        public FakeCudaApi Fake => (FakeCudaApi)Inner;

        public override void Launch(CudaFunction kernel, LaunchDims dims, CudaStreamHandle stream, KernelArguments arguments)
        {
        }
    }
}
