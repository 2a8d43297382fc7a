using LlmQueue.Gpu.Native;

namespace LlmQueue.Gpu.Tests.Native;

public class NativeLibraryProbeTests
{
    [Fact]
    public void Sonames_are_tried_in_order_and_the_first_that_loads_wins()
    {
        var found = NativeLibraryProbe.TryLoad(["libllmq-no-such-library.so.7", .. NvrtcNative.Sonames]);
        Assert.NotNull(found);
        Assert.Contains("libnvrtc.so", found.Value.Name, StringComparison.Ordinal);
    }

    [Fact]
    public void No_loadable_soname_gives_null() =>
        Assert.Null(NativeLibraryProbe.TryLoad(["libllmq-no-such-library.so.7"]));

    [Fact]
    public void A_missing_export_names_the_symbol_and_the_library()
    {
        var found = NativeLibraryProbe.TryLoad(NvrtcNative.Sonames)!.Value;
        var error = Assert.Throws<CudaException>(() => NativeLibraryProbe.Export(found.Handle, found.Name, "nvrtcNoSuchFunction"));
        Assert.Contains("nvrtcNoSuchFunction", error.Message, StringComparison.Ordinal);
        Assert.Contains(found.Name, error.Message, StringComparison.Ordinal);
    }
}
