using LlmQueue.Engine.KvCache.Jenga;

namespace LlmQueue.Engine.Cpu;

/// <summary>
/// The runner's KV memory: one f32 arena as large as the pool, cut the way its <see cref="KvPoolLayout"/> says
/// (small page p of type t at p x SmallPageBytes(t), the type's layers back to back inside it). Inside one
/// layer's block, K is [kvHeads][blockTokens][headDim] and V follows in the same shape, so attention reads one
/// head's keys for a block contiguously. This byte layout is also what a page export carries.
/// </summary>
internal sealed unsafe class PagedKvCache : IDisposable
{
    private readonly NativeFloatBuffer _arena = new();
    private readonly KvPoolLayout _layout;

    public PagedKvCache(KvPoolLayout layout, int largePages, int kvHeads, int headDim)
    {
        _layout = layout;
        KvHeads = kvHeads;
        HeadDim = headDim;
        BlockTokens = layout.BlockTokens;
        for (var layer = 0; layer < layout.LayerCount; layer++)
        {
            if (layout.LayerBlockBytes(layer) != 2L * kvHeads * BlockTokens * headDim * sizeof(float))
            {
                throw new ArgumentException($"KV layout: layer {layer} has {layout.LayerBlockBytes(layer)} bytes per block; f32 K/V of {kvHeads} x {headDim} need {2L * kvHeads * BlockTokens * headDim * sizeof(float)}.", nameof(layout));
            }
        }

        _arena.AllocateZeroed(largePages * layout.LargePageBytes / sizeof(float));
    }

    public int KvHeads { get; }

    public int HeadDim { get; }

    public int BlockTokens { get; }

    /// <summary>Addresses of one layer's K/V by (page, head).</summary>
    public KvLayerView Layer(int layer)
    {
        var type = _layout.TypeOfLayer(layer);
        return new KvLayerView(
            _arena.Pointer + (_layout.LayerBlockOffset(layer, 0) / sizeof(float)),
            _layout.SmallPageBytes(type) / sizeof(float),
            (long)KvHeads * BlockTokens * HeadDim,
            BlockTokens,
            HeadDim);
    }

    /// <summary>Stores one token's K and V (all KV heads, [kvHeads * headDim] each) at (page, slot) of the layer's type.</summary>
    public void Write(int layer, int page, int slot, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        var view = Layer(layer);
        for (int head = 0; head < KvHeads; head++)
        {
            long offset = (long)slot * HeadDim;
            key.Slice(head * HeadDim, HeadDim).CopyTo(new Span<float>(view.Keys(page, head) + offset, HeadDim));
            value.Slice(head * HeadDim, HeadDim).CopyTo(new Span<float>(view.Values(page, head) + offset, HeadDim));
        }
    }

    /// <summary>The bytes of small page <paramref name="page"/> of layer type <paramref name="type"/>: all its layers' K and V.</summary>
    public Span<byte> Page(int type, int page)
    {
        var bytes = _layout.SmallPageBytes(type);
        var offset = page * bytes;
        if (page < 0 || offset + bytes > _arena.Length * sizeof(float))
        {
            throw new ArgumentOutOfRangeException(nameof(page), page, $"KV page {page} of type {type} is outside the arena.");
        }

        return new Span<byte>((byte*)_arena.Pointer + offset, checked((int)bytes));
    }

    public void Dispose() => _arena.Dispose();
}
