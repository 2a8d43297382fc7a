using System.Runtime.InteropServices;
using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Reference;

/// <summary>
/// "Device" memory of the fake driver: host allocations whose addresses serve as device pointers. Every access
/// names the range it touches and is checked against the live allocations, so a reference kernel (or host logic
/// feeding it) that reads past a buffer, or a freed one, fails loudly instead of reading a neighbour.
/// </summary>
public sealed unsafe class FakeDeviceMemory : IDisposable
{
    private readonly SortedList<ulong, long> _allocations = [];
    private readonly Lock _lock = new();

    /// <summary>Bytes currently allocated.</summary>
    public long AllocatedBytes { get; private set; }

    public int LiveAllocations
    {
        get
        {
            lock (_lock)
            {
                return _allocations.Count;
            }
        }
    }

    /// <summary>Zeroed memory; real device memory is not zeroed, but zero keeps runs reproducible.</summary>
    public DevicePointer Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        var address = (ulong)NativeMemory.AlignedAlloc((nuint)bytes, 256);
        NativeMemory.Clear((void*)address, (nuint)bytes);
        lock (_lock)
        {
            _allocations.Add(address, bytes);
            AllocatedBytes += bytes;
        }

        return new DevicePointer(address);
    }

    public void Free(DevicePointer buffer)
    {
        lock (_lock)
        {
            if (!_allocations.Remove(buffer.Address, out long bytes))
            {
                throw new InvalidOperationException($"Free of {buffer}, which is not the start of a live allocation.");
            }

            AllocatedBytes -= bytes;
        }

        NativeMemory.AlignedFree((void*)buffer.Address);
    }

    /// <summary>The <paramref name="count"/> elements at <paramref name="start"/>, after checking they lie in one live allocation.</summary>
    public Span<T> Span<T>(DevicePointer start, long count)
        where T : unmanaged
    {
        long bytes = checked(count * sizeof(T));
        CheckRange(start, bytes);
        return new Span<T>((void*)start.Address, checked((int)count));
    }

    /// <summary>Throws unless [start, start + bytes) lies inside one live allocation.</summary>
    public void CheckRange(DevicePointer start, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_lock)
        {
            var starts = _allocations.Keys;
            int low = 0;
            int high = starts.Count - 1;
            while (low <= high)
            {
                int middle = (low + high) >>> 1;
                if (starts[middle] <= start.Address)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle - 1;
                }
            }

            if (high >= 0 && start.Address + (ulong)bytes <= starts[high] + (ulong)_allocations.Values[high])
            {
                return;
            }
        }

        throw new FakeMemoryAccessException($"Access to {bytes} bytes at {start} is outside every live device allocation.");
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var address in _allocations.Keys)
            {
                NativeMemory.AlignedFree((void*)address);
            }

            _allocations.Clear();
            AllocatedBytes = 0;
        }
    }
}
