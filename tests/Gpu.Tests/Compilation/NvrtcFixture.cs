using LlmQueue.Gpu.Compilation;

namespace LlmQueue.Gpu.Tests.Compilation;

/// <summary>
/// NVRTC and one compile of the embedded kernels for sm_90, shared by the compile tests. NVRTC is a test
/// prerequisite like the servers (tools/install-nvrtc.sh installs Debian's NVRTC 11.8; CI runs it), so a missing
/// library fails these tests with that instruction rather than skipping them.
/// </summary>
public sealed class NvrtcFixture
{
    public NvrtcFixture()
    {
        Compiler = NvrtcCompiler.TryLoad()
            ?? throw new InvalidOperationException("NVRTC is not installed: run tools/install-nvrtc.sh (Debian non-free libnvrtc11.2), or set LLMQ_CUDA_LIBRARY_PATH to a folder holding libnvrtc.so.*.");
        Sources = KernelSources.Embedded();
        Hopper = Compiler.Compile(Sources, "sm_90");
    }

    public NvrtcCompiler Compiler { get; }

    public KernelSources Sources { get; }

    /// <summary>The kernels compiled for sm_90 (H100/H200).</summary>
    public CompiledKernels Hopper { get; }
}
