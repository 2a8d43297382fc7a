using System.Runtime.InteropServices;

namespace LlmQueue.Engine.Cpu;

/// <summary>A 64-byte aligned native float buffer with a stable address (kernels take raw pointers), grown on demand.</summary>
internal sealed unsafe class NativeFloatBuffer : IDisposable
{
    private const int AlignmentBytes = 64;

    public float* Pointer { get; private set; }

    public long Length { get; private set; }

    /// <summary>Ensures room for <paramref name="length"/> floats; contents are not preserved on growth.</summary>
    public void EnsureCapacity(long length)
    {
        if (length <= Length)
        {
            return;
        }

        Free();
        Pointer = (float*)NativeMemory.AlignedAlloc((nuint)(length * sizeof(float)), AlignmentBytes);
        Length = length;
    }

    /// <summary>Allocates and zeroes exactly <paramref name="length"/> floats.</summary>
    public void AllocateZeroed(long length)
    {
        EnsureCapacity(length);
        NativeMemory.Clear(Pointer, (nuint)(length * sizeof(float)));
    }

    public Span<float> Slice(long start, int length) =>
        start + length <= Length
            ? new Span<float>(Pointer + start, length)
            : throw new ArgumentOutOfRangeException(nameof(length));

    public void Dispose() => Free();

    private void Free()
    {
        if (Pointer != null)
        {
            NativeMemory.AlignedFree(Pointer);
            Pointer = null;
            Length = 0;
        }
    }
}
