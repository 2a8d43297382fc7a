namespace LlmQueue.Engine.KvCache.Jenga;

/// <summary>
/// The KV shape of one model layer: what it stores per token and, for sliding-window attention, how many
/// keys it attends to (a token at q attends to keys q - W &lt; k &lt;= q). Null window = full attention.
/// </summary>
public sealed record KvLayerSpec(int KvHeads, int HeadDim, int DtypeBytes, int? SlidingWindow = null)
{
    /// <summary>K and V for one token of this layer.</summary>
    public long BytesPerToken => 2L * KvHeads * HeadDim * DtypeBytes;
}
