using System.Buffers;
using System.Runtime.Intrinsics;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Applies BPE merges to a word's symbols in place, lowest rank first and leftmost on ties, and returns the new
/// length. Short words (nearly all) rescan an array of pair ranks after each merge, which is quadratic but has
/// tiny constants. Words up to 512 symbols (long non-Latin words, whitespace runs) keep the rank of each live
/// pair in an array that a vectorised scan searches for the lowest after each merge: still quadratic, but eight
/// ranks per instruction and no branch per pair: about twice as fast as the heap on such words of the
/// multilingual benchmark sample. Longer words keep candidate pairs in a heap so their cost is O(n log n).
/// </summary>
internal static class BpeMerger
{
    private const int ShiftScanLimit = 48;
    private const int VectorScanLimit = 512;
    private const int StackLimit = 256;

    public static int Apply(PairCache merges, Span<int> symbols) =>
        symbols.Length < 2 ? symbols.Length
        : symbols.Length <= ShiftScanLimit ? ApplyByShiftScan(merges, symbols)
        : symbols.Length <= VectorScanLimit ? ApplyByVectorScan(merges, symbols)
        : ApplyByHeap(merges, symbols);

    /// <summary>
    /// Rescans an array of pair ranks after each merge and moves the symbols after a merge left by one: for a
    /// few symbols, cheaper than the set-up of the linked list in <see cref="ApplyByVectorScan"/>.
    /// </summary>
    private static int ApplyByShiftScan(PairCache merges, Span<int> symbols)
    {
        var count = symbols.Length;
        Span<MergeRule> pairs = stackalloc MergeRule[count - 1];
        for (var i = 0; i < count - 1; i++)
        {
            pairs[i] = merges.Lookup(symbols[i], symbols[i + 1]);
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
                pairs[best - 1] = merges.Lookup(symbols[best - 1], symbols[best]);
            }

            if (best < count - 1)
            {
                pairs[best] = merges.Lookup(symbols[best], symbols[best + 1]);
            }
        }

        return count;
    }

    /// <summary>
    /// Symbols form a linked list over their original positions; rank[i] is the rank of the pair that starts at
    /// live position i (int.MaxValue where none applies or the position was merged away), so the lowest rank's
    /// first position is the leftmost lowest pair, and a merge changes only its own and its left neighbour's entry.
    /// </summary>
    private static int ApplyByVectorScan(PairCache merges, Span<int> symbols)
    {
        var count = symbols.Length;
        Span<int> links = stackalloc int[4 * count];
        var rank = links[..count];
        var mergedId = links[count..(2 * count)];
        var next = links[(2 * count)..(3 * count)];
        var prev = links[(3 * count)..];
        for (var i = 0; i < count; i++)
        {
            next[i] = i + 1;
            prev[i] = i - 1;
            Rank(merges, symbols, rank, mergedId, i, i + 1);
        }

        while (LowestRank(rank) is var lowest and < int.MaxValue)
        {
            var left = rank.IndexOf(lowest);
            var right = next[left];
            symbols[left] = mergedId[left];
            rank[right] = int.MaxValue;
            next[left] = next[right];
            if (next[left] < count)
            {
                prev[next[left]] = left;
            }

            Rank(merges, symbols, rank, mergedId, left, next[left]);
            if (prev[left] >= 0)
            {
                Rank(merges, symbols, rank, mergedId, prev[left], left);
            }
        }

        var length = 0;
        for (var i = 0; i < count; i = next[i])
        {
            symbols[length++] = symbols[i];
        }

        return length;
    }

    /// <summary>Records the rank and result of the pair of live positions <paramref name="left"/> and <paramref name="right"/>.</summary>
    private static void Rank(PairCache merges, Span<int> symbols, Span<int> rank, Span<int> mergedId, int left, int right)
    {
        if (right >= symbols.Length)
        {
            rank[left] = int.MaxValue;
            return;
        }

        var rule = merges.Lookup(symbols[left], symbols[right]);
        rank[left] = rule.Rank;
        mergedId[left] = rule.MergedId;
    }

    /// <summary>The lowest value of <paramref name="ranks"/>, eight at a time.</summary>
    private static int LowestRank(ReadOnlySpan<int> ranks)
    {
        var lowest = int.MaxValue;
        var i = 0;
        if (Vector256.IsHardwareAccelerated && ranks.Length >= Vector256<int>.Count)
        {
            var minimum = Vector256.Create(int.MaxValue);
            for (; i <= ranks.Length - Vector256<int>.Count; i += Vector256<int>.Count)
            {
                minimum = Vector256.Min(minimum, Vector256.Create(ranks.Slice(i, Vector256<int>.Count)));
            }

            // The last, overlapping vector covers the remainder.
            minimum = Vector256.Min(minimum, Vector256.Create(ranks[^Vector256<int>.Count..]));
            for (var lane = 0; lane < Vector256<int>.Count; lane++)
            {
                lowest = Math.Min(lowest, minimum[lane]);
            }

            return lowest;
        }

        for (; i < ranks.Length; i++)
        {
            lowest = Math.Min(lowest, ranks[i]);
        }

        return lowest;
    }

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
