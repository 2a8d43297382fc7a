namespace LlmQueue.Engine.KvCache.Jenga;

/// <summary>
/// A set of layers with the same KV needs: same bytes per token per layer and the same attention span.
/// All its layers keep exactly the same tokens, so one block table per request serves all of them.
/// </summary>
public sealed record KvLayerType(string Name, int LayerCount, long BytesPerTokenPerLayer, int? SlidingWindow = null)
{
    public bool IsSliding => SlidingWindow is not null;

    /// <summary>
    /// First logical block a request still needs once its next token to compute is at
    /// <paramref name="nextTokenPosition"/>: full attention needs all (0); a sliding window needs the keys
    /// q - W + 1 .. q - 1 of q = nextTokenPosition, so blocks wholly before q - W + 1 are dead.
    /// The same rule decides which pages are released and which cached blocks a prefix hit needs.
    /// </summary>
    public int FirstNeededBlock(int nextTokenPosition, int blockTokens) =>
        SlidingWindow is { } window ? Math.Max(0, nextTokenPosition - window + 1) / blockTokens : 0;

    /// <summary>Tokens a request of <paramref name="length"/> tokens must keep to decode its next token.</summary>
    public long LiveTokens(long length) => SlidingWindow is { } window ? Math.Min(length, window) : length;
}
