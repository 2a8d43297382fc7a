namespace LlmQueue.Gpu.Planning;

/// <summary>The most one step carries: persistent device buffers are sized for these once, at start.</summary>
/// <param name="MaxTokens">Tokens per step (decode tokens + prefill chunks; the engine's MaxBatchTokens).</param>
/// <param name="MaxSequences">Sequences per step (the engine's MaxRunningRequests).</param>
/// <param name="MaxModelLength">Longest sequence in tokens; sets the block-table width.</param>
public sealed record StepLimits(int MaxTokens, int MaxSequences, int MaxModelLength)
{
    public void Validate()
    {
        if (MaxTokens <= 0 || MaxSequences <= 0 || MaxModelLength <= 0 || MaxSequences > MaxTokens)
        {
            throw new ArgumentException($"Step limits need positive sizes and MaxSequences <= MaxTokens (got {this}).");
        }
    }

    /// <summary>Block-table entries per sequence and layer type.</summary>
    public int MaxBlocks(int blockTokens) => (MaxModelLength + blockTokens - 1) / blockTokens;
}
