using LlmQueue.Gpu.Kernels;

namespace LlmQueue.Gpu.Planning;

/// <summary>
/// How many partitions each token's key range is split into (flash-decoding): enough blocks to give every
/// multiprocessor two when a step has few tokens (decode), one partition when the step is wide enough alone
/// (prefill), never more than the partial-result buffers hold (sized for <see cref="MaxParts"/> partitions of a
/// given number of tokens). The choice depends only on the launch shape, not on context lengths (partitions grow
/// with the context inside the kernel), so a captured graph stays valid as sequences grow.
/// </summary>
public static class AttentionPartitioning
{
    /// <summary>Shortest partition: below this, the reduce costs more than the parallelism gains.</summary>
    public const int MinPartTokens = 256;

    /// <summary>Most partitions per token.</summary>
    public const int MaxParts = 32;

    /// <param name="capacityTokens">Tokens the partial buffers hold at <see cref="MaxParts"/> partitions each.</param>
    public static int Parts(int tokens, int heads, int kvHeads, int multiprocessors, int capacityTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        int blocks = tokens * kvHeads * KernelLauncher.AttentionGroupSplits(heads / kvHeads);
        int wanted = Math.Clamp(((2 * multiprocessors) + blocks - 1) / blocks, 1, MaxParts);
        int fitting = (int)Math.Min(MaxParts, (long)capacityTokens * MaxParts / tokens);
        return fitting <= 1 ? 1 : Math.Min(wanted, fitting);
    }
}
