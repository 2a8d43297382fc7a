using System.Buffers;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Applies BPE merges to a word's symbols in place, lowest rank first and leftmost on ties, and returns the new
/// length. Short words (nearly all) rescan an array of pair ranks after each merge, which is quadratic but has
/// tiny constants; long words keep candidate pairs in a heap so their cost is O(n log n).
/// </summary>
internal static class BpeMerger
{
    private const int ScanLimit = 48;
    private const int StackLimit = 256;

    public static int Apply(PairCache merges, Span<int> symbols) =>
        symbols.Length < 2 ? symbols.Length
        : symbols.Length <= ScanLimit ? ApplyByScan(merges, symbols)
        : ApplyByHeap(merges, symbols);

    private static int ApplyByScan(PairCache merges, Span<int> symbols)
    {
        var count = symbols.Length;
        Span<MergeRule> pairs = stackalloc MergeRule[count - 1];
        for (var i = 0; i < count - 1; i++)
        {
            pairs[i] = Lookup(merges, symbols[i], symbols[i + 1]);
        }

        while (count > 1)
        {
            var best = 0;
            for (var i = 1; i < count - 1; i++)
            {
                if (pairs[i].Rank < pairs[best].Rank)
                {
                    best = i;
                }
            }

            if (pairs[best].Rank == int.MaxValue)
            {
                break;
            }

            // symbols[best] and symbols[best + 1] become one; everything after moves left by one (a plain loop:
            // these are a few elements, and a memmove call per merge cost more than the moves).
            symbols[best] = pairs[best].MergedId;
            for (var i = best + 1; i < count - 1; i++)
            {
                symbols[i] = symbols[i + 1];
                pairs[i - 1] = pairs[i];
            }

            count--;
            if (best > 0)
            {
                pairs[best - 1] = Lookup(merges, symbols[best - 1], symbols[best]);
            }

            if (best < count - 1)
            {
                pairs[best] = Lookup(merges, symbols[best], symbols[best + 1]);
            }
        }

        return count;
    }

    private static MergeRule Lookup(PairCache merges, int left, int right) => merges.Lookup(left, right);

    /// <summary>
    /// Symbols form a linked list and candidate pairs sit in a heap, so a word of n symbols costs O(n log n)
    /// rather than a rescan per merge (SentencePiece-style words can be thousands of symbols long). Heap entries
    /// go stale when a neighbour merges; rankAt[i], the rank of the pair now starting at i, tells them apart
    /// (ranks are unique per pair and a position's pair only ever grows into another pair).
    /// </summary>
    private static int ApplyByHeap(PairCache merges, Span<int> symbols)
    {
        var count = symbols.Length;

        // Every merge pushes at most two new candidates on top of the initial count - 1.
        var heapSize = 3 * count;
        int[]? rentedLinks = null;
        long[]? rentedHeap = null;
        var links = count <= StackLimit
            ? stackalloc int[4 * count]
            : (rentedLinks = ArrayPool<int>.Shared.Rent(4 * count)).AsSpan(0, 4 * count);
        var heap = new MergeHeap(count <= StackLimit
            ? stackalloc long[heapSize]
            : (rentedHeap = ArrayPool<long>.Shared.Rent(heapSize)).AsSpan(0, heapSize));
        var next = links[..count];
        var prev = links[count..(2 * count)];
        var rankAt = links[(2 * count)..(3 * count)];
        var mergedAt = links[(3 * count)..];
        for (var i = 0; i < count; i++)
        {
            next[i] = i + 1 < count ? i + 1 : -1;
            prev[i] = i - 1;
            Consider(merges, symbols, next, rankAt, mergedAt, ref heap, i);
        }

        while (heap.TryPop(out var rank, out var left))
        {
            if (rankAt[left] != rank)
            {
                continue;
            }

            var right = next[left];
            symbols[left] = mergedAt[left];
            rankAt[right] = -1;
            next[left] = next[right];
            if (next[left] >= 0)
            {
                prev[next[left]] = left;
            }

            Consider(merges, symbols, next, rankAt, mergedAt, ref heap, left);
            if (prev[left] >= 0)
            {
                Consider(merges, symbols, next, rankAt, mergedAt, ref heap, prev[left]);
            }
        }

        var length = 0;
        for (var i = 0; i >= 0; i = next[i])
        {
            symbols[length++] = symbols[i];
        }

        if (rentedLinks is not null)
        {
            ArrayPool<int>.Shared.Return(rentedLinks);
        }

        if (rentedHeap is not null)
        {
            ArrayPool<long>.Shared.Return(rentedHeap);
        }

        return length;
    }

    /// <summary>Records the pair now starting at <paramref name="left"/> and queues it when some merge applies.</summary>
    private static void Consider(
        PairCache merges, Span<int> symbols, Span<int> next, Span<int> rankAt, Span<int> mergedAt, ref MergeHeap heap, int left)
    {
        if (next[left] >= 0 && merges.Lookup(symbols[left], symbols[next[left]]) is { Rank: < int.MaxValue } rule)
        {
            rankAt[left] = rule.Rank;
            mergedAt[left] = rule.MergedId;
            heap.Push(rule.Rank, left);
        }
        else
        {
            rankAt[left] = int.MaxValue;
        }
    }
}
