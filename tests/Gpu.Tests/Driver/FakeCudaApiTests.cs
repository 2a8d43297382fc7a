using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Checks;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;
using LlmQueue.Gpu.Native;
using LlmQueue.Gpu.Reference;

namespace LlmQueue.Gpu.Tests.Driver;

public class FakeCudaApiTests
{
    [Fact]
    public void A_kernel_reading_past_its_buffer_fails_with_the_kernel_named()
    {
        using var gpu = new ReferenceBackend();
        var table = gpu.Fake.Upload(new ushort[4 * 8]);
        var hidden = gpu.Fake.Upload(new float[8]);
        var ids = gpu.Fake.Upload([4]); // row 4 of a 4-row table
        var error = Assert.Throws<FakeMemoryAccessException>(() => gpu.Launcher.EmbedTokens(default, new EmbedTokensCall(table, ids, hidden, 1, 8, 1f)));
        Assert.StartsWith("embed_tokens:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Freed_memory_cannot_be_read_and_allocations_are_accounted()
    {
        using var cuda = new FakeCudaApi();
        var buffer = cuda.Allocate(1000);
        Assert.Equal(1, cuda.Memory.LiveAllocations);
        Assert.Equal(cuda.Device.TotalMemoryBytes - 1000, cuda.MemoryInfo().Free);
        cuda.Free(buffer);
        Assert.Throws<FakeMemoryAccessException>(() => cuda.Memory.Span<byte>(buffer, 1));
        Assert.Throws<InvalidOperationException>(() => cuda.Free(buffer));
        var error = Assert.Throws<CudaException>(() => cuda.Allocate(cuda.Device.TotalMemoryBytes + 1));
        Assert.Equal("CUDA_ERROR_OUT_OF_MEMORY", error.StatusName);
    }

    [Fact]
    public void A_captured_graph_replays_its_launches_on_the_buffers_as_they_are_at_replay()
    {
        using var gpu = new ReferenceBackend();
        var cuda = gpu.Fake;
        var stream = cuda.CreateStream();
        var logits = cuda.Upload(new[] { 10f, -20f });
        cuda.BeginCapture(stream);
        gpu.Launcher.LogitSoftcap(stream, new LogitSoftcapCall(logits, 2, 5f));
        Assert.Equal(10f, cuda.Download<float>(logits, 1)[0]); // recorded, not run
        var graph = cuda.EndCapture(stream);
        var exec = cuda.Instantiate(graph);

        new[] { 1f, 2f }.CopyTo(cuda.Memory.Span<float>(logits, 2));
        cuda.Launch(exec, stream);
        Assert.Equal(MathF.Tanh(1f / 5f) * 5f, cuda.Download<float>(logits, 1)[0]);
        Assert.Equal(1, cuda.ReplayedOperations);
        Assert.Equal(0, cuda.DirectLaunches.GetValueOrDefault("logit_softcap"));
    }

    [Fact]
    public void A_graph_of_the_same_shape_updates_in_place_and_another_shape_does_not()
    {
        using var gpu = new ReferenceBackend();
        var cuda = gpu.Fake;
        var stream = cuda.CreateStream();
        var buffer = cuda.Upload(new[] { 8f });
        CudaGraph Capture(float cap, int launches)
        {
            cuda.BeginCapture(stream);
            for (int i = 0; i < launches; i++)
            {
                gpu.Launcher.LogitSoftcap(stream, new LogitSoftcapCall(buffer, 1, cap));
            }

            return cuda.EndCapture(stream);
        }

        var exec = cuda.Instantiate(Capture(4f, 1));
        Assert.True(cuda.TryUpdate(exec, Capture(2f, 1)));
        Assert.False(cuda.TryUpdate(exec, Capture(2f, 2)));
        cuda.Launch(exec, stream);
        Assert.Equal(MathF.Tanh(8f / 2f) * 2f, cuda.Download<float>(buffer, 1)[0]);
    }

    [Fact]
    public void Synchronising_a_capturing_stream_is_an_error_as_on_the_device()
    {
        using var cuda = new FakeCudaApi();
        var stream = cuda.CreateStream();
        cuda.BeginCapture(stream);
        Assert.Throws<CudaException>(() => cuda.Synchronize(stream));
    }

    [Fact]
    public void Only_catalog_kernels_can_be_looked_up()
    {
        using var cuda = new FakeCudaApi();
        var module = cuda.LoadModule([]);
        Assert.Throws<CudaException>(() => cuda.GetFunction(module, "no_such_kernel"));
        Assert.All(KernelCatalog.All, s => cuda.GetFunction(module, s.Name));
    }
}
