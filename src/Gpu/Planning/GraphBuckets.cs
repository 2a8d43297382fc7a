namespace LlmQueue.Gpu.Planning;

/// <summary>
/// Batch sizes decode steps are captured as CUDA graphs for: 1, 2, 4, 8, ... up to the largest batch, which is
/// itself a bucket when it is no power of two. A decode step of n sequences replays the smallest bucket >= n with
/// the rows past n padded (see <see cref="StepPacker"/>); a step larger than every bucket, or any step with
/// prefill, runs without a graph.
/// </summary>
public sealed class GraphBuckets
{
    private readonly int[] _sizes;

    public GraphBuckets(int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        var sizes = new List<int>();
        for (int size = 1; size < maxBatch; size *= 2)
        {
            sizes.Add(size);
        }

        sizes.Add(maxBatch);
        _sizes = [.. sizes];
    }

    public IReadOnlyList<int> Sizes => _sizes;

    public int Largest => _sizes[^1];

    /// <summary>The bucket a decode step of <paramref name="sequences"/> rows replays, or null when it is too large for any.</summary>
    public int? BucketFor(int sequences)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequences);
        foreach (int size in _sizes)
        {
            if (size >= sequences)
            {
                return size;
            }
        }

        return null;
    }
}
