using LlmQueue.Gpu.Compilation;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;
using LlmQueue.Gpu.Native;
using Xunit.Abstractions;

namespace LlmQueue.Gpu.Tests.Compilation;

/// <summary>
/// The compile check that needs no GPU: every kernel compiles for sm_90 through the project's own NVRTC binding,
/// ptxas reports no spills and a shared-memory footprint inside the static 48 KiB, and each PTX entry's parameter
/// list is the one the C# launches are built against.
/// </summary>
public class KernelCompileTests(NvrtcFixture nvrtc, ITestOutputHelper output) : IClassFixture<NvrtcFixture>
{
    private const int StaticSharedLimit = 48 * 1024;

    [Fact]
    public void Every_kernel_compiles_to_a_cubin_for_sm_90()
    {
        var compiled = nvrtc.Hopper;
        Assert.True(compiled.ImageIsCubin);
        // An ELF image: what cuModuleLoadData gets on a Hopper device.
        Assert.Equal([0x7f, (byte)'E', (byte)'L', (byte)'F'], compiled.Image[..4]);
        Assert.Contains(".target sm_90", compiled.Ptx, StringComparison.Ordinal);
        output.WriteLine($"NVRTC {nvrtc.Compiler.Version} ({nvrtc.Compiler.LibraryName}); cubin {compiled.Image.Length} bytes");
    }

    [Fact]
    public void Each_ptx_entry_has_the_parameter_list_its_launch_is_built_against()
    {
        var entries = PtxEntry.Parse(nvrtc.Hopper.Ptx).ToDictionary(e => e.Name);
        Assert.Equal(KernelCatalog.All.Select(s => s.Name).Order(), entries.Keys.Order());
        foreach (var signature in KernelCatalog.All)
        {
            Assert.Equal(signature.Parameters.Select(p => p.PtxType), entries[signature.Name].ParameterTypes);
        }
    }

    [Fact]
    public void Ptxas_reports_no_spills_no_stack_and_shared_memory_within_the_static_limit()
    {
        var report = KernelResources.Parse(nvrtc.Hopper.Log);
        foreach (var signature in KernelCatalog.All)
        {
            Assert.True(report.TryGetValue(signature.Name, out var usage), $"ptxas reported nothing for {signature.Name}:\n{nvrtc.Hopper.Log}");
            output.WriteLine($"{usage.Name}: {usage.Registers} registers, {usage.StaticSharedBytes} B smem, {usage.StackFrameBytes} B stack");
            Assert.Equal(0, usage.SpillStoreBytes);
            Assert.Equal(0, usage.SpillLoadBytes);
            Assert.Equal(0, usage.StackFrameBytes);
            Assert.InRange(usage.StaticSharedBytes, 0, StaticSharedLimit);
            // 128-thread blocks (attention, RoPE) can hold 255 registers; none should need that many.
            Assert.InRange(usage.Registers, 1, 168);
        }
    }

    [Fact]
    public void A_device_newer_than_nvrtc_gets_ptx_for_the_newest_architecture_nvrtc_knows()
    {
        Assert.Equal("sm_90", nvrtc.Compiler.TargetFor(9, 0));
        int newest = nvrtc.Compiler.SupportedArchitectures.Max();
        Assert.Equal($"compute_{newest}", nvrtc.Compiler.TargetFor(newest / 10 + 3, 0));
        var ptxOnly = nvrtc.Compiler.Compile(nvrtc.Sources, "compute_90");
        Assert.False(ptxOnly.ImageIsCubin);
        Assert.Equal(0, ptxOnly.Image[^1]); // cuModuleLoadData reads PTX as a C string
    }

    [Fact]
    public void A_compile_error_names_the_call_and_carries_nvrtc_s_log()
    {
        var broken = KernelSources.From(new Dictionary<string, string> { ["broken.cu"] = "extern \"C\" __global__ void k() { undefined_name(); }" });
        var error = Assert.Throws<CudaException>(() => nvrtc.Compiler.Compile(broken, "sm_90"));
        Assert.Equal("nvrtcCompileProgram", error.Call);
        Assert.Contains("undefined_name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_disk_cache_returns_the_same_image_without_compiling_and_keys_on_the_sources()
    {
        string folder = Path.Combine(Path.GetTempPath(), "llmq-kernel-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            var cache = new KernelCache(folder);
            var first = cache.GetOrCompile(nvrtc.Compiler, nvrtc.Sources, "sm_90", out bool compiledFirst);
            var second = cache.GetOrCompile(nvrtc.Compiler, nvrtc.Sources, "sm_90", out bool compiledSecond);
            Assert.True(compiledFirst);
            Assert.False(compiledSecond);
            Assert.Equal(first.Image, second.Image);
            Assert.Equal(first.Log, second.Log);

            var changed = KernelSources.From(nvrtc.Sources.Files.ToDictionary(f => f.Key, f => f.Value + (f.Key == "embedding.cu" ? "\n// changed\n" : "")));
            Assert.NotEqual(KernelCache.EntryName(nvrtc.Sources, "sm_90", nvrtc.Compiler.Version), KernelCache.EntryName(changed, "sm_90", nvrtc.Compiler.Version));
            Assert.NotEqual(KernelCache.EntryName(nvrtc.Sources, "sm_90", "11.8"), KernelCache.EntryName(nvrtc.Sources, "sm_90", "12.4"));
            Assert.NotEqual(KernelCache.EntryName(nvrtc.Sources, "sm_90", "11.8"), KernelCache.EntryName(nvrtc.Sources, "sm_89", "11.8"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_kernels_use_no_toolkit_headers()
    {
        foreach (var (name, text) in nvrtc.Sources.Files)
        {
            foreach (var line in text.Split('\n').Where(l => l.TrimStart().StartsWith("#include", StringComparison.Ordinal)))
            {
                Assert.Matches("^\\s*#include \"[a-z_]+\\.cuh\"\\s*$", line);
            }
        }
    }

    [Fact]
    public void Ptx_parameter_types_follow_the_catalog_kinds()
    {
        Assert.Equal(".u64", new KernelParam("p", KernelParamKind.Address).PtxType);
        Assert.Equal(".u32", new KernelParam("i", KernelParamKind.I32).PtxType);
        Assert.Equal(".u64", new KernelParam("l", KernelParamKind.I64).PtxType);
        Assert.Equal(".f32", new KernelParam("f", KernelParamKind.F32).PtxType);
    }
}
