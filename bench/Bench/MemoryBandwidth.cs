using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;

namespace LlmQueue.Bench;

/// <summary>
/// Measures this machine's memory bandwidth in the same run as the decode benchmark, with all cores:
/// a read-only pass (what decode does to weights) and a copy (STREAM style, read + write bytes).
/// </summary>
internal static unsafe class MemoryBandwidth
{
    public static (double ReadGBps, double CopyGBps) Measure(long bytes, int repeats)
    {
        var source = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        var target = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        try
        {
            new Span<byte>(source, checked((int)Math.Min(bytes, int.MaxValue))).Fill(1);
            Parallel.For(0, Environment.ProcessorCount, t =>
            {
                var (start, length) = Slice(bytes, t);
                new Span<byte>(source + start, (int)length).Fill(1);
                new Span<byte>(target + start, (int)length).Clear();
            });
            var reads = new List<double>();
            var copies = new List<double>();
            for (var r = 0; r < repeats; r++)
            {
                reads.Add(bytes / Time(() => ReadAll(source, bytes)) / 1e9);
                copies.Add(2.0 * bytes / Time(() => CopyAll(source, target, bytes)) / 1e9);
            }

            return (Stats.Median(reads), Stats.Median(copies));
        }
        finally
        {
            NativeMemory.AlignedFree(source);
            NativeMemory.AlignedFree(target);
        }
    }

    private static double Time(Action action)
    {
        var start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static void ReadAll(byte* source, long bytes)
    {
        var sums = new float[Environment.ProcessorCount];
        Parallel.For(0, Environment.ProcessorCount, t =>
        {
            var (start, length) = Slice(bytes, t);
            var p = (float*)(source + start);
            var n = length / sizeof(float);
            var acc0 = Vector<float>.Zero;
            var acc1 = Vector<float>.Zero;
            var width = Vector<float>.Count;
            long i = 0;
            for (; i + (2 * width) <= n; i += 2 * width)
            {
                acc0 += Vector.Load(p + i);
                acc1 += Vector.Load(p + i + width);
            }

            sums[t] = Vector.Sum(acc0 + acc1);
        });
        GC.KeepAlive(sums);
    }

    private static void CopyAll(byte* source, byte* target, long bytes) =>
        Parallel.For(0, Environment.ProcessorCount, t =>
        {
            var (start, length) = Slice(bytes, t);
            Buffer.MemoryCopy(source + start, target + start, length, length);
        });

    private static (long Start, long Length) Slice(long bytes, int thread)
    {
        var per = bytes / Environment.ProcessorCount / 64 * 64;
        var start = per * thread;
        return (start, thread == Environment.ProcessorCount - 1 ? bytes - start : per);
    }
}
