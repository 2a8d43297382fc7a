namespace LlmQueue.Gpu.Compilation;

/// <summary>
/// One compile of <see cref="KernelSources"/>: the module image (CUBIN for a real sm_XX target, or PTX for the
/// driver to finish when NVRTC does not know the device's architecture), the PTX, and NVRTC's log with ptxas's
/// per-kernel resource report.
/// </summary>
public sealed record CompiledKernels(string Target, byte[] Image, bool ImageIsCubin, string Ptx, string Log, string NvrtcVersion);
