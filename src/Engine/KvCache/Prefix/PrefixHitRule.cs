namespace LlmQueue.Engine.KvCache.Prefix;

/// <summary>
/// Which cached prefix a request may reuse, per layer type: full attention needs every block before the
/// hit point; a sliding window only the blocks its first recomputed token still attends to. The usable
/// hit is the longest block count every type can serve.
/// </summary>
internal static class PrefixHitRule
{
    /// <summary>
    /// Longest usable hit in blocks, at most <paramref name="maxBlocks"/>. <paramref name="present"/> is
    /// row-major [type, block]: whether that type has a cached page for the prompt's block.
    /// <paramref name="firstNeededBlock"/> gives, per type and hit point in tokens, the first block needed.
    /// </summary>
    public static int LongestHit(ReadOnlySpan<bool> present, int types, int maxBlocks, Func<int, int, int> firstNeededBlock, Span<int> scratch)
    {
        if (maxBlocks == 0)
        {
            return 0;
        }

        // run[type, b]: cached blocks of the type ending at b without a gap, so any window check is O(1).
        for (var t = 0; t < types; t++)
        {
            var run = 0;
            for (var b = 0; b < maxBlocks; b++)
            {
                run = present[(t * maxBlocks) + b] ? run + 1 : 0;
                scratch[(t * maxBlocks) + b] = run;
            }
        }

        for (var k = maxBlocks; k > 0; k--)
        {
            if (AllTypesServe(k, types, maxBlocks, firstNeededBlock, scratch))
            {
                return k;
            }
        }

        return 0;
    }

    private static bool AllTypesServe(int hitBlocks, int types, int maxBlocks, Func<int, int, int> firstNeededBlock, ReadOnlySpan<int> runs)
    {
        for (var t = 0; t < types; t++)
        {
            var needed = hitBlocks - firstNeededBlock(t, hitBlocks);
            if (runs[(t * maxBlocks) + hitBlocks - 1] < needed)
            {
                return false;
            }
        }

        return true;
    }
}
