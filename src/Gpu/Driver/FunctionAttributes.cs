namespace LlmQueue.Gpu.Driver;

/// <summary>A loaded kernel's resource use as the driver reports it (cuFuncGetAttribute).</summary>
/// <param name="LocalBytes">Local memory per thread: stack frame and register spills; 0 for a kernel that keeps everything in registers.</param>
public readonly record struct FunctionAttributes(int Registers, int StaticSharedBytes, int LocalBytes, int MaxThreadsPerBlock, int BinaryVersion);
