using System.Numerics;

namespace LlmQueue.Engine.KvCache.Jenga;

/// <summary>
/// Jenga's two levels: a shared free list of large pages, and per layer type a small-page allocator that
/// carves the large pages it owns. A large page goes back to the shared list the moment its last small
/// page is released. Placement is request-aware: a request keeps filling its own "open" large page, then
/// takes a fresh one, and only when none is left fills holes in other large pages of the type, so a
/// finishing request mostly frees whole large pages. Slots here are either free or used; who uses them
/// (a request, the prefix cache) is the caller's business.
/// </summary>
internal sealed class TwoLevelPageAllocator
{
    private readonly KvPoolLayout _layout;
    private readonly int[] _owner;
    private readonly int[] _used;
    private readonly int[] _freeLarge;
    private int _freeLargeCount;
    private readonly ulong[][] _freeMask;
    private readonly int[] _wordsPerLarge;
    private readonly long[] _freeSlots;

    // Large pages of a type with at least one free slot: an intrusive doubly linked list per type.
    private readonly int[] _partialHead;
    private readonly int[] _partialNext;
    private readonly int[] _partialPrev;
    private readonly bool[] _inPartial;

    public TwoLevelPageAllocator(KvPoolLayout layout, int largePages)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(largePages);
        _layout = layout;
        LargePages = largePages;
        _owner = new int[largePages];
        _used = new int[largePages];
        _freeLarge = new int[largePages];
        _partialNext = new int[largePages];
        _partialPrev = new int[largePages];
        _inPartial = new bool[largePages];
        Array.Fill(_owner, -1);
        for (var i = 0; i < largePages; i++)
        {
            _freeLarge[i] = largePages - 1 - i;
        }

        _freeLargeCount = largePages;
        var types = layout.TypeCount;
        _freeMask = new ulong[types][];
        _wordsPerLarge = new int[types];
        _freeSlots = new long[types];
        _partialHead = new int[types];
        Array.Fill(_partialHead, -1);
        for (var t = 0; t < types; t++)
        {
            _wordsPerLarge[t] = (layout.SmallPagesPerLargePage(t) + 63) / 64;
            _freeMask[t] = new ulong[largePages * _wordsPerLarge[t]];
        }
    }

    public int LargePages { get; }

    public int FreeLargePages => _freeLargeCount;

    /// <summary>Free small pages of <paramref name="type"/> inside large pages the type already owns.</summary>
    public long FreeSlots(int type) => _freeSlots[type];

    /// <summary>Bytes holding nothing: free large pages plus free slots in owned large pages.</summary>
    public long FreeBytes
    {
        get
        {
            var bytes = _freeLargeCount * _layout.LargePageBytes;
            for (var t = 0; t < _freeSlots.Length; t++)
            {
                bytes += _freeSlots[t] * _layout.SmallPageBytes(t);
            }

            return bytes;
        }
    }

    /// <summary>The type a large page is carved for, or -1 while it is on the shared free list.</summary>
    public int OwnerOf(int largePage) => _owner[largePage];

    public int UsedSlots(int largePage) => _used[largePage];

    public int LargePageOf(int type, int page) => page / _layout.SmallPagesPerLargePage(type);

    public bool IsFree(int type, int page)
    {
        var per = _layout.SmallPagesPerLargePage(type);
        var largePage = page / per;
        if (_owner[largePage] != type)
        {
            return true;
        }

        var slot = page % per;
        return (_freeMask[type][(largePage * _wordsPerLarge[type]) + (slot >> 6)] & (1UL << slot)) != 0;
    }

    /// <summary>
    /// A free small page of <paramref name="type"/> for the request whose open large page is
    /// <paramref name="openLargePage"/> (updated to where the page came from), or -1 when the type has no
    /// free slot and no large page is free.
    /// </summary>
    public int TryTake(int type, ref int openLargePage)
    {
        if (openLargePage >= 0 && _owner[openLargePage] == type && _inPartial[openLargePage])
        {
            return TakeSlot(type, openLargePage);
        }

        if (_freeLargeCount > 0)
        {
            var fresh = _freeLarge[--_freeLargeCount];
            Assign(fresh, type);
            openLargePage = fresh;
            return TakeSlot(type, fresh);
        }

        var partial = _partialHead[type];
        if (partial < 0)
        {
            return -1;
        }

        openLargePage = partial;
        return TakeSlot(type, partial);
    }

    public void Release(int type, int page)
    {
        var per = _layout.SmallPagesPerLargePage(type);
        var largePage = page / per;
        var slot = page % per;
        ref var word = ref _freeMask[type][(largePage * _wordsPerLarge[type]) + (slot >> 6)];
        var bit = 1UL << slot;
        if (_owner[largePage] != type || (word & bit) != 0)
        {
            throw new InvalidOperationException($"KV pool: small page {page} of type {type} released while free.");
        }

        word |= bit;
        _freeSlots[type]++;
        if (--_used[largePage] == 0)
        {
            Unassign(largePage, type);
        }
        else if (!_inPartial[largePage])
        {
            LinkPartial(type, largePage);
        }
    }

    private int TakeSlot(int type, int largePage)
    {
        var words = _freeMask[type].AsSpan(largePage * _wordsPerLarge[type], _wordsPerLarge[type]);
        for (var w = 0; w < words.Length; w++)
        {
            if (words[w] == 0)
            {
                continue;
            }

            var bit = BitOperations.TrailingZeroCount(words[w]);
            words[w] &= words[w] - 1;
            _freeSlots[type]--;
            if (++_used[largePage] == _layout.SmallPagesPerLargePage(type))
            {
                UnlinkPartial(type, largePage);
            }

            return (largePage * _layout.SmallPagesPerLargePage(type)) + (w * 64) + bit;
        }

        throw new InvalidOperationException($"KV pool: large page {largePage} listed with free slots but has none.");
    }

    private void Assign(int largePage, int type)
    {
        _owner[largePage] = type;
        var per = _layout.SmallPagesPerLargePage(type);
        var words = _freeMask[type].AsSpan(largePage * _wordsPerLarge[type], _wordsPerLarge[type]);
        for (var w = 0; w < words.Length; w++)
        {
            var bits = Math.Min(64, per - (w * 64));
            words[w] = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
        }

        _freeSlots[type] += per;
        LinkPartial(type, largePage);
    }

    private void Unassign(int largePage, int type)
    {
        UnlinkPartial(type, largePage);
        _freeMask[type].AsSpan(largePage * _wordsPerLarge[type], _wordsPerLarge[type]).Clear();
        _freeSlots[type] -= _layout.SmallPagesPerLargePage(type);
        _owner[largePage] = -1;
        _freeLarge[_freeLargeCount++] = largePage;
    }

    private void LinkPartial(int type, int largePage)
    {
        var head = _partialHead[type];
        _partialNext[largePage] = head;
        _partialPrev[largePage] = -1;
        if (head >= 0)
        {
            _partialPrev[head] = largePage;
        }

        _partialHead[type] = largePage;
        _inPartial[largePage] = true;
    }

    private void UnlinkPartial(int type, int largePage)
    {
        if (!_inPartial[largePage])
        {
            return;
        }

        var next = _partialNext[largePage];
        var prev = _partialPrev[largePage];
        if (prev >= 0)
        {
            _partialNext[prev] = next;
        }
        else
        {
            _partialHead[type] = next;
        }

        if (next >= 0)
        {
            _partialPrev[next] = prev;
        }

        _inPartial[largePage] = false;
    }
}
