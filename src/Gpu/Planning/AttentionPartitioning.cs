using LlmQueue.Gpu.Kernels;

namespace LlmQueue.Gpu.Planning;

/// <summary>
/// How many partitions each token's key range is split into (flash-decoding). Decode attention is bound by the
/// bytes in flight, so a step with few tokens (decode) gets enough blocks to give every multiprocessor four; a step
/// wide enough alone (prefill) gets one partition. Never more than the reduce combines (<see cref="MaxPartsPerToken"/>)
/// or the partial-result buffers hold (<see cref="BufferPartsPerToken"/> partitions per token of their capacity, so a
/// step of few tokens may use many). The choice depends only on the launch shape, not on context lengths (partitions
/// grow with the context inside the kernel), so a captured graph stays valid as sequences grow.
/// </summary>
public static class AttentionPartitioning
{
    /// <summary>Shortest partition: below this, the partials and the reduce cost more than the parallelism gains.</summary>
    public const int MinPartTokens = 16;

    /// <summary>Most partitions per token: what the reduce combines.</summary>
    public const int MaxPartsPerToken = KernelLauncher.AttentionMaxParts;

    /// <summary>Partitions per token of capacity the partial buffers are sized for.</summary>
    public const int BufferPartsPerToken = 32;

    /// <summary>Blocks per multiprocessor a decode launch aims for.</summary>
    private const int BlocksPerMultiprocessor = 4;

    /// <param name="capacityTokens">Tokens the partial buffers hold at <see cref="BufferPartsPerToken"/> partitions each.</param>
    public static int Parts(int tokens, int heads, int kvHeads, int multiprocessors, int capacityTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        int blocks = tokens * kvHeads * KernelLauncher.AttentionGroupSplits(heads / kvHeads);
        int wanted = Math.Clamp(((BlocksPerMultiprocessor * multiprocessors) + blocks - 1) / blocks, 1, MaxPartsPerToken);
        int fitting = (int)Math.Min(MaxPartsPerToken, (long)capacityTokens * BufferPartsPerToken / tokens);
        return fitting <= 1 ? 1 : Math.Min(wanted, fitting);
    }
}
