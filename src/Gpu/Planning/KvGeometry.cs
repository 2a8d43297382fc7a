namespace LlmQueue.Gpu.Planning;

/// <summary>
/// Where each layer's bf16 K/V sits in the one KV allocation cut by a <see cref="KvPoolLayout"/> (as the CPU
/// runner's arena is): small page p of type t at p x SmallPageBytes(t), the type's layers back to back inside it,
/// and inside one layer's block K [kvHeads][blockTokens][headDim] then V in the same shape. Kernels get the layer's
/// block in page 0 and the element stride between pages of its type.
/// </summary>
public sealed class KvGeometry
{
    public const int ElementBytes = sizeof(ushort);

    private readonly KvPoolLayout _layout;

    public KvGeometry(KvPoolLayout layout, int kvHeads, int headDim)
    {
        ArgumentNullException.ThrowIfNull(layout);
        _layout = layout;
        long expected = 2L * kvHeads * layout.BlockTokens * headDim * ElementBytes;
        for (int layer = 0; layer < layout.LayerCount; layer++)
        {
            if (layout.LayerBlockBytes(layer) != expected)
            {
                throw new ArgumentException(
                    $"KV layout: layer {layer} has {layout.LayerBlockBytes(layer)} bytes per block; bf16 K/V of {kvHeads} x {headDim} need {expected}.",
                    nameof(layout));
            }
        }
    }

    public int BlockTokens => _layout.BlockTokens;

    public KvPoolLayout Layout => _layout;

    /// <summary>Elements from the start of the allocation to <paramref name="layer"/>'s block in page 0 of its type.</summary>
    public long LayerOffset(int layer) => _layout.LayerBlockOffset(layer, 0) / ElementBytes;

    /// <summary>Elements between consecutive pages of <paramref name="layer"/>'s type.</summary>
    public long PageStride(int layer) => _layout.SmallPageBytes(_layout.TypeOfLayer(layer)) / ElementBytes;

    /// <summary>Bytes of an allocation holding <paramref name="largePages"/> large pages.</summary>
    public long AllocationBytes(int largePages) => checked(largePages * _layout.LargePageBytes);

    /// <summary>The bf16 KV layout of a model (one type per distinct (bytes, window)), as the engine's pool must be built.</summary>
    public static KvPoolLayout LayoutFor(ModelConfig config, int blockTokens) =>
        KvPoolLayout.ForModel(config, blockTokens, ElementBytes);
}
