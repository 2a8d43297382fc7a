using LlmQueue.Engine.Models;

namespace LlmQueue.Engine.Cpu;

/// <summary>
/// The runner's KV storage: per layer, K and V of shape [numBlocks][kvHeads][blockSize][headDim] f32.
/// Position p of a sequence lives in block table[p / blockSize], slot p % blockSize.
/// </summary>
internal sealed unsafe class PagedKvCache : IDisposable
{
    private readonly NativeFloatBuffer[] _keys;
    private readonly NativeFloatBuffer[] _values;

    public PagedKvCache(int layers, int numBlocks, int kvHeads, int blockSize, int headDim)
    {
        NumBlocks = numBlocks;
        KvHeads = kvHeads;
        BlockSize = blockSize;
        HeadDim = headDim;
        long perLayer = (long)numBlocks * kvHeads * blockSize * headDim;
        _keys = new NativeFloatBuffer[layers];
        _values = new NativeFloatBuffer[layers];
        try
        {
            for (int i = 0; i < layers; i++)
            {
                _keys[i] = new NativeFloatBuffer();
                _keys[i].AllocateZeroed(perLayer);
                _values[i] = new NativeFloatBuffer();
                _values[i].AllocateZeroed(perLayer);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int NumBlocks { get; }

    public int KvHeads { get; }

    public int BlockSize { get; }

    public int HeadDim { get; }

    /// <summary>Bytes of K plus V storage one block takes across all layers of <paramref name="config"/>.</summary>
    public static long BytesPerBlock(ModelConfig config, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(config);
        return 2L * config.NumLayers * config.NumKvHeads * blockSize * config.HeadDim * sizeof(float);
    }

    public float* Keys(int layer) => _keys[layer].Pointer;

    public float* Values(int layer) => _values[layer].Pointer;

    /// <summary>Stores one token's K and V (all KV heads, [kvHeads * headDim] each) at (block, slot).</summary>
    public void Write(int layer, int block, int slot, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        for (int head = 0; head < KvHeads; head++)
        {
            long offset = ((((long)block * KvHeads) + head) * BlockSize + slot) * HeadDim;
            key.Slice(head * HeadDim, HeadDim).CopyTo(new Span<float>(Keys(layer) + offset, HeadDim));
            value.Slice(head * HeadDim, HeadDim).CopyTo(new Span<float>(Values(layer) + offset, HeadDim));
        }
    }

    public void Dispose()
    {
        foreach (var buffer in _keys.Concat(_values))
        {
            buffer?.Dispose();
        }
    }
}
