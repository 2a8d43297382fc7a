namespace LlmQueue.Engine.Cpu;

/// <summary>
/// One layer's K/V inside the runner's arena: page p's keys for a KV head start at
/// first + p x pageStride + head x blockTokens x headDim; values sit valueOffset floats after their keys.
/// </summary>
internal readonly unsafe struct KvLayerView(float* first, long pageStride, long valueOffset, int blockTokens, int headDim)
{
    public int BlockTokens => blockTokens;

    public float* Keys(int page, int kvHead) => first + (page * pageStride) + ((long)kvHead * blockTokens * headDim);

    public float* Values(int page, int kvHead) => Keys(page, kvHead) + valueOffset;
}
