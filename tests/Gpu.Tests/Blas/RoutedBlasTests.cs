using LlmQueue.Gpu.Blas;
using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Kernels;

namespace LlmQueue.Gpu.Tests.Blas;

/// <summary>Decode-time products go to gemv_bf16 (its reference on the fake driver), the rest to the library; both give the library's result.</summary>
public class RoutedBlasTests
{
    [Theory]
    [InlineData(1, 40, 64, BlasElement.F32, true)]
    [InlineData(1, 24, 1160, BlasElement.Bf16, true)]
    [InlineData(2, 24, 64, BlasElement.F32, false)]
    [InlineData(1, 24, 60, BlasElement.F32, false)] // k not a multiple of 8
    public void Few_row_products_run_on_the_gemv_kernel_and_equal_the_library(int rows, int n, int k, BlasElement output, bool gemv)
    {
        using var gpu = new ReferenceBackend();
        var random = new Random(rows * 1000 + k);
        var x = gpu.Fake.Allocate((long)rows * k * 2);
        var w = gpu.Fake.Allocate((long)n * k * 2);
        int outputBytes = output == BlasElement.F32 ? 4 : 2;
        var routedY = gpu.Fake.Allocate((long)rows * n * outputBytes);
        var libraryY = gpu.Fake.Allocate((long)rows * n * outputBytes);
        Bf16Random(random, gpu.Fake.Memory.Span<ushort>(x, (long)rows * k));
        Bf16Random(random, gpu.Fake.Memory.Span<ushort>(w, (long)n * k));
        var routed = new RoutedBlas(gpu.FakeBlas, gpu.Launcher);
        int productsBefore = gpu.FakeBlas.Products;

        routed.Multiply(default, new MatMul(x, w, routedY, output, rows, n, k));
        gpu.FakeBlas.Multiply(default, new MatMul(x, w, libraryY, output, rows, n, k));
        gpu.Fake.Synchronize(default(LlmQueue.Gpu.Driver.CudaStreamHandle));

        Assert.Equal(gemv ? 1 : 2, gpu.FakeBlas.Products - productsBefore);
        Assert.Equal(gemv, KernelLauncher.SuitsGemv(new MatMul(x, w, routedY, output, rows, n, k)));
        Assert.Equal(
            gpu.Fake.Memory.Span<byte>(libraryY, (long)rows * n * outputBytes).ToArray(),
            gpu.Fake.Memory.Span<byte>(routedY, (long)rows * n * outputBytes).ToArray());
    }

    [Theory]
    [InlineData(2048, 2048, 4)] // Llama-3.2-1B o: 8192 warps
    [InlineData(2048, 8192, 4)] // down
    [InlineData(16384, 2048, 1)] // gate+up: wide enough alone
    [InlineData(1152, 6912, 8)] // gemma-3-1b down: at most 8 warps a column
    [InlineData(1152, 1024, 4)] // o: every lane keeps at least one 16-byte piece
    [InlineData(64, 64, 1)]
    public void Narrow_products_share_each_column_among_several_warps(int n, int k, int splits) =>
        Assert.Equal(splits, KernelLauncher.GemvSplits(n, k));

    private static void Bf16Random(Random random, Span<ushort> target)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] = Float16Bits.SingleToBf16((float)((random.NextDouble() * 2) - 1));
        }
    }
}
