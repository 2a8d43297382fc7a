using LlmQueue.Gpu.Blas;
using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;
using LlmQueue.Gpu.Planning;

namespace LlmQueue.Gpu.Checks;

/// <summary>
/// Figures measured on the device with CUDA events, each the median of repeats after a warm-up: copy bandwidth
/// (device to device counting bytes read plus written; pinned host to device and back), the paged decode attention
/// kernel against that bandwidth at 4k/16k/32k keys, and the cost of one decode step launched directly versus replayed
/// from a graph.
/// </summary>
public static class DeviceMeasurements
{
    private const int Repeats = 20;

    /// <summary>Device-to-device copy, GB/s of bytes read plus written.</summary>
    public static Measurement CopyBandwidth(ICudaApi cuda, long bytes = 2L << 30)
    {
        ArgumentNullException.ThrowIfNull(cuda);
        var source = cuda.Allocate(bytes);
        var target = cuda.Allocate(bytes);
        try
        {
            cuda.Fill32(source, 0x3F800000, bytes / 4, default); // not zeros: 1.0f everywhere
            double ms = Median(cuda, () => cuda.CopyOnDevice(target, source, bytes, default));
            return new Measurement("device-to-device copy", 2.0 * bytes / ms / 1e6, "GB/s", $"{bytes >> 20} MiB copied, read + written counted");
        }
        finally
        {
            cuda.Free(target);
            cuda.Free(source);
        }
    }

    /// <summary>
    /// Decode-time matrix products (bf16 weights [N, K], f32 out) on gemv_bf16 and on the library, each timed over
    /// a run of back-to-back launches (so no launch waits on the host) that rotate through enough weight copies to
    /// miss the L2 cache, in GB/s of weights read against the copy bandwidth.
    /// </summary>
    public static IEnumerable<Measurement> DecodeProducts(IGpuBackend backend, IBlasApi library, IEnumerable<(string Name, int M, int N, int K)> shapes, double copyBandwidth)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(library);
        ArgumentNullException.ThrowIfNull(shapes);
        var cuda = backend.Cuda;
        var launcher = new KernelLauncher(cuda, backend.Kernels);
        foreach (var (name, m, n, k) in shapes)
        {
            long weightBytes = (long)n * k * sizeof(ushort);
            int copies = (int)Math.Max(2, (256L << 20) / weightBytes + 1);
            var buffers = new List<DevicePointer>();
            try
            {
                var x = cuda.Allocate((long)m * k * sizeof(ushort));
                buffers.Add(x);
                cuda.Fill32(x, 0x3C003C00, (long)m * k / 2, default);
                var y = cuda.Allocate((long)m * n * sizeof(float));
                buffers.Add(y);
                var weights = new DevicePointer[copies];
                for (int c = 0; c < copies; c++)
                {
                    weights[c] = cuda.Allocate(weightBytes);
                    buffers.Add(weights[c]);
                    cuda.Fill32(weights[c], 0x3C003C00, weightBytes / 4, default);
                }

                double Time(Action<MatMul> multiply)
                {
                    int next = 0;
                    return MedianPerLaunch(cuda, () => multiply(new MatMul(x, weights[next++ % copies], y, BlasElement.F32, m, n, k)), copies);
                }

                double kernel = Time(p => launcher.Gemv(default, p));
                double cublas = Time(p => library.Multiply(default, p));
                double bytes = weightBytes + ((double)m * k * sizeof(ushort)) + ((double)m * n * sizeof(float));
                yield return new Measurement($"decode product {name} {m}x{n}x{k}: gemv_bf16 vs {library.Version.Split(' ')[0]}", bytes / kernel / 1e6, "GB/s",
                    $"gemv_bf16 {kernel * 1000:F1} us = {100 * bytes / kernel / 1e6 / copyBandwidth:F0}% of the copy bandwidth; library {cublas * 1000:F1} us = {bytes / cublas / 1e6:F0} GB/s = {100 * bytes / cublas / 1e6 / copyBandwidth:F0}%; gemv / library time {kernel / cublas:F2}");
            }
            finally
            {
                buffers.ForEach(cuda.Free);
            }
        }
    }

    /// <summary>Pinned host-to-device and device-to-host copies, GB/s.</summary>
    public static IReadOnlyList<Measurement> HostCopyBandwidth(ICudaApi cuda, long bytes = 256L << 20)
    {
        ArgumentNullException.ThrowIfNull(cuda);
        var device = cuda.Allocate(bytes);
        var host = cuda.AllocatePinned(bytes);
        try
        {
            double up = Median(cuda, () => cuda.CopyToDevice(device, host, bytes, default));
            double down = Median(cuda, () => cuda.CopyToHost(host, device, bytes, default));
            return
            [
                new Measurement("host-to-device copy (pinned)", bytes / up / 1e6, "GB/s", $"{bytes >> 20} MiB"),
                new Measurement("device-to-host copy (pinned)", bytes / down / 1e6, "GB/s", $"{bytes >> 20} MiB"),
            ];
        }
        finally
        {
            cuda.FreePinned(host);
            cuda.Free(device);
        }
    }

    /// <summary>
    /// The paged attention kernel alone for decode (one token per sequence) at <paramref name="context"/> keys per
    /// sequence, in GB/s of K/V read (every key and value of the context once), with the launch's partitions as the
    /// runner would choose them; the f32 traffic of partials and the reduce are counted in the time, not the bytes.
    /// </summary>
    public static Measurement DecodeAttention(IGpuBackend backend, string shape, int heads, int kvHeads, int headDim, int context, int sequences, double copyBandwidth)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var cuda = backend.Cuda;
        const int BlockTokens = 16;
        int blocks = (context + BlockTokens - 1) / BlockTokens;
        long pageElements = 2L * kvHeads * BlockTokens * headDim;
        long kvBytes = (long)sequences * blocks * pageElements * sizeof(ushort);
        var buffers = new List<DevicePointer>();
        DevicePointer Allocate(long size)
        {
            var buffer = cuda.Allocate(size);
            buffers.Add(buffer);
            return buffer;
        }

        try
        {
            var arena = Allocate(kvBytes);
            cuda.Fill32(arena, 0x3C003C00, kvBytes / 4, default); // bf16 pairs of 0.0078125: finite, not zero
            var queries = Allocate((long)sequences * heads * headDim * sizeof(ushort));
            cuda.Fill32(queries, 0x3C003C00, (long)sequences * heads * headDim / 2, default);
            // Sequence s owns pages s * blocks ..: a contiguous table per sequence.
            var tables = Upload(cuda, Allocate((long)sequences * blocks * sizeof(int)), [.. Enumerable.Range(0, sequences * blocks)]);
            var tokenSeq = Upload(cuda, Allocate(sequences * sizeof(int)), [.. Enumerable.Range(0, sequences)]);
            var positions = Upload(cuda, Allocate(sequences * sizeof(int)), [.. Enumerable.Repeat(context - 1, sequences)]);
            // Partial buffers as a runner of 64 sequences sizes them (the figures' runners do).
            int parts = AttentionPartitioning.Parts(sequences, heads, kvHeads, cuda.Device.Multiprocessors, Math.Max(sequences, 64));
            var partAcc = Allocate((long)sequences * heads * parts * headDim * sizeof(float));
            var partMl = Allocate((long)sequences * heads * parts * 2 * sizeof(float));
            var output = Allocate((long)sequences * heads * headDim * sizeof(ushort));
            var launcher = new KernelLauncher(cuda, backend.Kernels);
            var call = new PagedAttentionCall(queries, arena, pageElements, tables, blocks, tokenSeq, positions, partAcc, partMl, output,
                sequences, heads, kvHeads, headDim, BlockTokens, 0, 1f / MathF.Sqrt(headDim), 0f, AttentionPartitioning.MinPartTokens, parts);
            double ms = Median(cuda, () => launcher.PagedAttention(default, call));
            double bandwidth = (double)sequences * context * 2 * kvHeads * headDim * sizeof(ushort) / ms / 1e6;
            return new Measurement(
                $"decode attention {shape} (heads {heads}/{kvHeads}, hd {headDim}), {sequences} x {context} keys",
                bandwidth,
                "GB/s",
                $"{ms * 1000:F1} us, {parts} partitions, {100 * bandwidth / copyBandwidth:F0}% of the copy bandwidth");
        }
        finally
        {
            foreach (var buffer in buffers)
            {
                cuda.Free(buffer);
            }
        }
    }

    /// <summary>Median milliseconds per call of <paramref name="work"/> on the default stream, timed over runs of <paramref name="run"/> calls back to back, after one warm-up run.</summary>
    public static double MedianPerLaunch(ICudaApi cuda, Action work, int run, int repeats = 11)
    {
        ArgumentNullException.ThrowIfNull(cuda);
        ArgumentNullException.ThrowIfNull(work);
        return Median(cuda, () =>
        {
            for (int i = 0; i < run; i++)
            {
                work();
            }
        }, repeats) / run;
    }

    /// <summary>Median milliseconds of <paramref name="work"/> on <paramref name="stream"/> (default: the default stream), timed by events, after three warm-ups.</summary>
    public static double Median(ICudaApi cuda, Action work, int repeats = Repeats, CudaStreamHandle stream = default)
    {
        ArgumentNullException.ThrowIfNull(cuda);
        ArgumentNullException.ThrowIfNull(work);
        var start = cuda.CreateEvent();
        var stop = cuda.CreateEvent();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                work();
            }

            var times = new double[repeats];
            for (int i = 0; i < repeats; i++)
            {
                cuda.Record(start, stream);
                work();
                cuda.Record(stop, stream);
                cuda.Synchronize(stop);
                times[i] = cuda.ElapsedMilliseconds(start, stop);
            }

            Array.Sort(times);
            return times[repeats / 2];
        }
        finally
        {
            cuda.DestroyEvent(start);
            cuda.DestroyEvent(stop);
        }
    }

    private static unsafe DevicePointer Upload(ICudaApi cuda, DevicePointer target, int[] values)
    {
        long bytes = values.LongLength * sizeof(int);
        var staging = cuda.AllocatePinned(bytes);
        try
        {
            values.CopyTo(new Span<int>((void*)staging, values.Length));
            cuda.CopyToDevice(target, staging, bytes, default);
            cuda.Synchronize(default(CudaStreamHandle));
            return target;
        }
        finally
        {
            cuda.FreePinned(staging);
        }
    }
}
