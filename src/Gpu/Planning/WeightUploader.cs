using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Planning;

/// <summary>
/// Uploads a <see cref="WeightUploadPlan"/> through two pinned staging buffers: while one chunk's copy runs on the
/// stream, the host converts the next into the other buffer (an event per buffer says when it is free again).
/// </summary>
public static class WeightUploader
{
    public const long DefaultChunkBytes = 32L << 20;

    public static DeviceWeights Upload(ICudaApi cuda, WeightUploadPlan plan, long chunkBytes = DefaultChunkBytes)
    {
        ArgumentNullException.ThrowIfNull(cuda);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 16L);
        var arena = cuda.Allocate(Math.Max(plan.TotalBytes, ArenaLayout.Alignment));
        var stream = cuda.CreateStream();
        nint[] staging = [cuda.AllocatePinned(chunkBytes), cuda.AllocatePinned(chunkBytes)];
        CudaEvent[] free = [cuda.CreateEvent(), cuda.CreateEvent()];
        bool[] pending = [false, false];
        DeviceWeights? uploaded = null;
        try
        {
            int next = 0;
            foreach (var weight in plan.Weights)
            {
                long elementsPerChunk = chunkBytes / weight.ElementBytes;
                for (long start = 0; start < weight.Elements; start += elementsPerChunk)
                {
                    long count = Math.Min(elementsPerChunk, weight.Elements - start);
                    if (pending[next])
                    {
                        cuda.Synchronize(free[next]);
                    }

                    unsafe
                    {
                        weight.Fill(start, new Span<byte>((void*)staging[next], checked((int)(count * weight.ElementBytes))));
                    }

                    cuda.CopyToDevice(arena.Offset(weight.Offset + (start * weight.ElementBytes)), staging[next], count * weight.ElementBytes, stream);
                    cuda.Record(free[next], stream);
                    pending[next] = true;
                    next ^= 1;
                }
            }

            uploaded = new DeviceWeights(cuda, plan, arena);
            return uploaded;
        }
        finally
        {
            // Staging must outlive the copies reading it, also when a conversion failed half way.
            cuda.Synchronize(stream);
            foreach (var e in free)
            {
                cuda.DestroyEvent(e);
            }

            foreach (var buffer in staging)
            {
                cuda.FreePinned(buffer);
            }

            cuda.DestroyStream(stream);
            if (uploaded is null)
            {
                cuda.Free(arena);
            }
        }
    }
}
