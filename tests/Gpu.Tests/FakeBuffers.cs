using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Reference;

namespace LlmQueue.Gpu.Tests;

/// <summary>Allocates fake device buffers filled from host arrays and reads them back.</summary>
internal static class FakeBuffers
{
    public static DevicePointer Upload<T>(this FakeCudaApi cuda, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        var buffer = cuda.Allocate(Math.Max(1, values.Length) * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        values.CopyTo(cuda.Memory.Span<T>(buffer, values.Length));
        return buffer;
    }

    public static T[] Download<T>(this FakeCudaApi cuda, DevicePointer buffer, long count)
        where T : unmanaged =>
        cuda.Memory.Span<T>(buffer, count).ToArray();

    public static ushort[] ToBf16(IEnumerable<float> values) => [.. values.Select(Float16Bits.SingleToBf16)];

    public static float[] Normal(Random random, int count, double scale = 1.0) =>
        [.. Enumerable.Range(0, count).Select(_ => (float)(scale * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];
}
