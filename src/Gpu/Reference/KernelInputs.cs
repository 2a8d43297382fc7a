using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Reference;

/// <summary>A launch's arguments resolved against fake device memory: scalars by name, buffers as checked spans.</summary>
internal readonly ref struct KernelInputs(FakeDeviceMemory memory, KernelArguments arguments)
{
    public int I32(string name) => arguments.GetI32(name);

    public long I64(string name) => arguments.GetI64(name);

    public float F32(string name) => arguments.GetF32(name);

    public bool IsSet(string name) => !arguments.GetAddress(name).IsNull;

    /// <summary><paramref name="count"/> elements from the buffer parameter <paramref name="name"/>, plus <paramref name="offset"/> elements.</summary>
    public unsafe Span<T> Buffer<T>(string name, long offset, long count)
        where T : unmanaged =>
        memory.Span<T>(arguments.GetAddress(name).Offset(offset * sizeof(T)), count);
}
