using LlmQueue.Models;

namespace LlmQueue.Engine.KvCache.Jenga;

/// <summary>
/// How a heterogeneous KV pool is cut. A small page holds one block of tokens for ALL layers of one type
/// (block tokens x bytes per token per layer x layers of the type): the layers of a type keep identical
/// tokens, so a per-layer page would only multiply block tables and allocator calls by the layer count
/// without saving a byte. A large page is the LCM of the small-page sizes, so every large page can be cut
/// into whole small pages of any type. Page p of type t starts at byte p x SmallPageBytes(t) of the pool
/// (large page p / perLarge, slot p % perLarge), so runners see one byte arena per pool.
/// </summary>
public sealed class KvPoolLayout
{
    /// <summary>Refuses layouts whose LCM makes a large page absurdly bigger than its largest small page.</summary>
    private const int MaxSmallPagesPerLargePage = 4096;

    private readonly long[] _smallPageBytes;
    private readonly int[] _smallPagesPerLargePage;
    private readonly int[] _typeOfLayer;
    private readonly int[] _slotOfLayer;

    private KvPoolLayout(int blockTokens, KvLayerType[] types, int[] typeOfLayer, int[] slotOfLayer)
    {
        BlockTokens = blockTokens;
        Types = types;
        _typeOfLayer = typeOfLayer;
        _slotOfLayer = slotOfLayer;
        _smallPageBytes = types.Select(t => blockTokens * t.BytesPerTokenPerLayer * t.LayerCount).ToArray();
        LargePageBytes = _smallPageBytes.Aggregate(1L, Lcm);
        _smallPagesPerLargePage = _smallPageBytes.Select(s => checked((int)(LargePageBytes / s))).ToArray();
        if (LargePageBytes / _smallPageBytes.Max() > MaxSmallPagesPerLargePage)
        {
            throw new ArgumentException(
                $"KV layout: the LCM of the small-page sizes ({string.Join(", ", _smallPageBytes)} bytes) is {LargePageBytes} bytes, "
                + $"over {MaxSmallPagesPerLargePage} times the largest small page; choose layer types whose page sizes share more factors.",
                nameof(types));
        }
    }

    public int BlockTokens { get; }

    public IReadOnlyList<KvLayerType> Types { get; }

    public int TypeCount => Types.Count;

    public long LargePageBytes { get; }

    public int LayerCount => _typeOfLayer.Length;

    public bool HasFullAttention => Types.Any(t => !t.IsSliding);

    public long SmallPageBytes(int type) => _smallPageBytes[type];

    public int SmallPagesPerLargePage(int type) => _smallPagesPerLargePage[type];

    /// <summary>The type whose block table model layer <paramref name="layer"/> reads.</summary>
    public int TypeOfLayer(int layer) => _typeOfLayer[layer];

    /// <summary>Where the layer's KV sits inside its type's small page (0 .. LayerCount of the type - 1).</summary>
    public int SlotOfLayer(int layer) => _slotOfLayer[layer];

    /// <summary>Bytes one layer's K and V take in one small page of its type (BlockTokens tokens).</summary>
    public long LayerBlockBytes(int layer) => BlockTokens * Types[_typeOfLayer[layer]].BytesPerTokenPerLayer;

    /// <summary>
    /// Byte offset in the pool of one layer's block inside small page <paramref name="page"/> of the layer's type:
    /// a type's page holds its layers back to back in slot order. How K and V are laid out inside those
    /// <see cref="LayerBlockBytes"/> bytes is the runner's choice (and part of the remote tier's value format).
    /// </summary>
    public long LayerBlockOffset(int layer, int page) =>
        (page * _smallPageBytes[_typeOfLayer[layer]]) + (_slotOfLayer[layer] * LayerBlockBytes(layer));

    /// <summary>
    /// Tokens one sequence alone can reach in a pool of <paramref name="capacityBytes"/>: full-attention types grow
    /// with it, sliding types hold their window (plus a block either side), and each type but one may leave a large
    /// page partly carved. Unbounded (int.MaxValue) when every type slides.
    /// </summary>
    public int MaxSequenceTokens(long capacityBytes)
    {
        long fullBytesPerBlock = 0;
        long slidingBytes = 0;
        for (var t = 0; t < TypeCount; t++)
        {
            if (Types[t].SlidingWindow is { } window)
            {
                slidingBytes += (((window + BlockTokens - 1) / BlockTokens) + 2) * _smallPageBytes[t];
            }
            else
            {
                fullBytesPerBlock += _smallPageBytes[t];
            }
        }

        if (fullBytesPerBlock == 0)
        {
            return int.MaxValue;
        }

        var usable = capacityBytes - ((TypeCount - 1) * LargePageBytes) - slidingBytes;
        return (int)Math.Clamp(usable / fullBytesPerBlock * BlockTokens, 0, int.MaxValue);
    }

    /// <summary>Groups a model's layers into types by (bytes per token, window), numbered in order of first appearance.</summary>
    public static KvPoolLayout FromLayers(IReadOnlyList<KvLayerSpec> layers, int blockTokens)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ValidateBlockTokens(blockTokens);
        if (layers.Count == 0)
        {
            throw new ArgumentException("KV layout: the model has no layers.", nameof(layers));
        }

        var keys = new List<(long Bytes, int? Window)>();
        var counts = new List<int>();
        var typeOfLayer = new int[layers.Count];
        var slotOfLayer = new int[layers.Count];
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            ValidateLayer(layer, i);
            var key = (layer.BytesPerToken, layer.SlidingWindow);
            var type = keys.IndexOf(key);
            if (type < 0)
            {
                type = keys.Count;
                keys.Add(key);
                counts.Add(0);
            }

            typeOfLayer[i] = type;
            slotOfLayer[i] = counts[type]++;
        }

        var types = keys.Select((k, t) => new KvLayerType(TypeName(k.Bytes, k.Window), counts[t], k.Bytes, k.Window)).ToArray();
        return new KvPoolLayout(blockTokens, types, typeOfLayer, slotOfLayer);
    }

    /// <summary>A model's layout: one layer type per distinct (KV bytes per token, sliding window), at <paramref name="dtypeBytes"/> per element.</summary>
    public static KvPoolLayout ForModel(ModelConfig config, int blockTokens, int dtypeBytes)
    {
        ArgumentNullException.ThrowIfNull(config);
        var layers = Enumerable.Range(0, config.NumLayers)
            .Select(l => new KvLayerSpec(config.NumKvHeads, config.HeadDim, dtypeBytes, config.SlidingWindowOf(l)))
            .ToArray();
        return FromLayers(layers, blockTokens);
    }

    /// <summary>A layout from types directly; model layers are numbered type by type.</summary>
    public static KvPoolLayout FromTypes(IReadOnlyList<KvLayerType> types, int blockTokens)
    {
        ArgumentNullException.ThrowIfNull(types);
        ValidateBlockTokens(blockTokens);
        if (types.Count == 0)
        {
            throw new ArgumentException("KV layout: no layer types given.", nameof(types));
        }

        var typeOfLayer = new List<int>();
        var slotOfLayer = new List<int>();
        for (var t = 0; t < types.Count; t++)
        {
            var type = types[t];
            if (type.LayerCount <= 0 || type.BytesPerTokenPerLayer <= 0 || type.SlidingWindow is <= 0)
            {
                throw new ArgumentException(
                    $"KV layout: layer type '{type.Name}' needs LayerCount > 0, BytesPerTokenPerLayer > 0 and SlidingWindow > 0 or null (got {type}).",
                    nameof(types));
            }

            for (var s = 0; s < type.LayerCount; s++)
            {
                typeOfLayer.Add(t);
                slotOfLayer.Add(s);
            }
        }

        return new KvPoolLayout(blockTokens, [.. types], [.. typeOfLayer], [.. slotOfLayer]);
    }

    private static void ValidateBlockTokens(int blockTokens)
    {
        if (blockTokens <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(blockTokens), blockTokens, "KV layout: block size must be at least 1 token.");
        }
    }

    private static void ValidateLayer(KvLayerSpec layer, int index)
    {
        if (layer.KvHeads <= 0 || layer.HeadDim <= 0 || layer.DtypeBytes <= 0 || layer.SlidingWindow is <= 0)
        {
            throw new ArgumentException(
                $"KV layout: layer {index} needs KvHeads, HeadDim, DtypeBytes > 0 and SlidingWindow > 0 or null (got {layer}).",
                nameof(layer));
        }
    }

    private static string TypeName(long bytes, int? window) =>
        window is { } w ? $"sliding{w}-{bytes}B" : $"full-{bytes}B";

    private static long Lcm(long a, long b) => checked(a / Gcd(a, b) * b);

    private static long Gcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}
