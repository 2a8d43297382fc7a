namespace LlmQueue.Models.Synthetic;

/// <summary>SplitMix64 stream with Box-Muller normals: fast, deterministic across platforms.</summary>
internal struct SplitMixRandom
{
    private ulong _state;
    private float _spare;
    private bool _hasSpare;

    public SplitMixRandom(ulong seed)
    {
        _state = seed;
        _spare = 0;
        _hasSpare = false;
    }

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in (0, 1]: never 0, so the logarithm below is finite.</summary>
    public float NextUnitOpen() => ((NextUInt64() >> 40) + 1) * (1.0f / (1UL << 24));

    public float NextNormal()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }

        float radius = MathF.Sqrt(-2f * MathF.Log(NextUnitOpen()));
        (float sin, float cos) = MathF.SinCos(2f * MathF.PI * NextUnitOpen());
        _spare = radius * sin;
        _hasSpare = true;
        return radius * cos;
    }

    /// <summary>A seed for an independent stream, mixed from a base seed and a name.</summary>
    public static ulong DeriveSeed(ulong seed, string name)
    {
        // FNV-1a over the name, then one SplitMix step so nearby names give unrelated streams.
        ulong hash = 0xCBF29CE484222325UL ^ seed;
        foreach (char c in name)
        {
            hash = (hash ^ c) * 0x100000001B3UL;
        }

        return new SplitMixRandom(hash).NextUInt64();
    }
}
