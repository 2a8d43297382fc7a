namespace LlmQueue.Gpu.Planning;

/// <summary>Named regions cut from one allocation, each aligned to 256 bytes (what cudaMalloc guarantees).</summary>
public sealed class ArenaLayout
{
    public const int Alignment = 256;

    private readonly Dictionary<string, (long Offset, long Bytes)> _regions = new(StringComparer.Ordinal);

    public long TotalBytes { get; private set; }

    public IEnumerable<string> Names => _regions.Keys;

    /// <summary>Appends a region of <paramref name="bytes"/> (0 allowed: an empty region at the current end); returns its offset.</summary>
    public long Add(string name, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long offset = TotalBytes;
        if (!_regions.TryAdd(name, (offset, bytes)))
        {
            throw new ArgumentException($"Arena region '{name}' is defined twice.", nameof(name));
        }

        TotalBytes = checked(offset + ((bytes + Alignment - 1) / Alignment * Alignment));
        return offset;
    }

    public long Offset(string name) => Region(name).Offset;

    public long Bytes(string name) => Region(name).Bytes;

    private (long Offset, long Bytes) Region(string name) =>
        _regions.TryGetValue(name, out var region) ? region : throw new KeyNotFoundException($"No arena region '{name}'.");
}
