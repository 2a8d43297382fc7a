namespace LlmQueue.Gpu.Planning;

/// <summary>Named regions cut from one allocation, each aligned to 256 bytes (what cudaMalloc guarantees).</summary>
public sealed class ArenaLayout
{
    public const int Alignment = 256;

    private readonly Dictionary<string, long> _offsets = new(StringComparer.Ordinal);

    public long TotalBytes { get; private set; }

    /// <summary>Appends a region of <paramref name="bytes"/> (0 allowed: an empty region at the current end); returns its offset.</summary>
    public long Add(string name, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long offset = TotalBytes;
        if (!_offsets.TryAdd(name, offset))
        {
            throw new ArgumentException($"Arena region '{name}' is defined twice.", nameof(name));
        }

        TotalBytes = checked(offset + ((bytes + Alignment - 1) / Alignment * Alignment));
        return offset;
    }

    public long Offset(string name) =>
        _offsets.TryGetValue(name, out long offset) ? offset : throw new KeyNotFoundException($"No arena region '{name}'.");
}
