using System.Buffers;
using LlmQueue.Engine.KvCache.Prefix;

namespace LlmQueue.Engine.KvCache.Jenga;

/// <summary>
/// The heterogeneous paged KV pool with layer-type-aware prefix caching, as the scheduler sees it.
/// Per step: <see cref="MatchPrefix"/> once when a sequence is admitted (or re-admitted after preemption),
/// <see cref="TryAllocate"/> before a chunk is computed, <see cref="Commit"/> after it, and
/// <see cref="Free"/> on finish or preemption. A small page is referenced by the sequences whose tables
/// hold it; with no reference it is free, or, when it holds a cached block, evictable (LRU per type).
/// Eviction is type-aware: losing a full-attention block kills every hit through it, so its node and
/// the whole subtree below go at once, whatever their types; losing a sliding-window block drops the chain ends
/// whose hits needed it (with their full-attention pages). Not thread-safe: the engine thread owns it.
/// </summary>
public sealed class JengaKvCache
{
    private readonly TwoLevelPageAllocator _allocator;
    private readonly PrefixHasher _hasher;
    private readonly PrefixIndex? _index;
    private readonly int[][] _refCount;
    private readonly int[][] _nodeOf;
    private readonly EvictableLru[] _lru;
    private readonly int[] _largeReferenced;
    private readonly EvictableLru _idleLarge;
    private readonly Func<int, int, int> _firstNeededAtHit;
    private readonly List<int> _subtree = [];
    private readonly List<int> _leaves = [];
    private readonly int _windowBlocks;

    public JengaKvCache(KvPoolLayout layout, long budgetBytes, string modelFingerprint, bool enablePrefixCaching = true)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var largePages = budgetBytes / layout.LargePageBytes;
        if (largePages <= 0 || largePages > int.MaxValue / 64)
        {
            throw new ArgumentOutOfRangeException(
                nameof(budgetBytes), budgetBytes, $"KV pool: the budget must hold between 1 and {int.MaxValue / 64} large pages of {layout.LargePageBytes} bytes.");
        }

        Layout = layout;
        _allocator = new TwoLevelPageAllocator(layout, (int)largePages);
        _hasher = new PrefixHasher(modelFingerprint);
        _largeReferenced = new int[largePages];
        _idleLarge = new EvictableLru((int)largePages);
        var types = layout.TypeCount;
        _refCount = new int[types][];
        _nodeOf = new int[types][];
        _lru = new EvictableLru[types];
        var totalPages = 0;
        for (var t = 0; t < types; t++)
        {
            var pages = (int)largePages * layout.SmallPagesPerLargePage(t);
            totalPages += pages;
            _refCount[t] = new int[pages];
            _nodeOf[t] = new int[pages];
            Array.Fill(_nodeOf[t], -1);
            _lru[t] = new EvictableLru(pages);
        }

        _index = enablePrefixCaching ? new PrefixIndex(types, totalPages) : null;
        // How many blocks below a sliding block can end a hit whose window still reaches back to it.
        _windowBlocks = layout.Types.Max(t => t.SlidingWindow is { } w ? ((w + layout.BlockTokens - 2) / layout.BlockTokens) + 1 : 0);
        _firstNeededAtHit = (type, hitBlocks) => layout.Types[type].FirstNeededBlock(hitBlocks * layout.BlockTokens, layout.BlockTokens);
    }

    public KvPoolLayout Layout { get; }

    public bool PrefixCachingEnabled => _index is not null;

    public int TotalLargePages => _allocator.LargePages;

    public int FreeLargePages => _allocator.FreeLargePages;

    public long CapacityBytes => _allocator.LargePages * Layout.LargePageBytes;

    /// <summary>Bytes holding nothing: free large pages plus free small slots inside carved ones.</summary>
    public long FreeBytes => _allocator.FreeBytes;

    /// <summary>Bytes of unreferenced cached blocks: reclaimable on demand.</summary>
    public long EvictableBytes
    {
        get
        {
            var bytes = 0L;
            for (var t = 0; t < _lru.Length; t++)
            {
                bytes += _lru[t].Count * Layout.SmallPageBytes(t);
            }

            return bytes;
        }
    }

    /// <summary>Bytes in pages some sequence references.</summary>
    public long ReferencedBytes => CapacityBytes - FreeBytes - EvictableBytes;

    public int CachedBlocks => _index?.Count ?? 0;

    public long EvictedPages { get; private set; }

    public int SmallPageCount(int type) => _refCount[type].Length;

    public int RefCount(int type, int page) => _refCount[type][page];

    public bool IsCached(int type, int page) => _nodeOf[type][page] >= 0;

    public bool IsFree(int type, int page) => _allocator.IsFree(type, page);

    /// <summary>The type a large page is carved for, -1 when it is on the shared free list.</summary>
    public int OwnerOfLargePage(int largePage) => _allocator.OwnerOf(largePage);

    public int LargePageOf(int type, int page) => _allocator.LargePageOf(type, page);

    /// <summary>A handle for one request. The salt (tenant) and extra keys (e.g. an adapter id) enter its block hashes.</summary>
    public KvSequence CreateSequence(string? cacheSalt = null, ReadOnlySpan<byte> extraKeys = default) =>
        new(Layout.TypeCount, cacheSalt, extraKeys.ToArray());

    /// <summary>
    /// Reuses the longest cached prefix of <paramref name="promptTokens"/> that every layer type can serve,
    /// never the last token (it is recomputed to produce logits). Takes references on the hit pages and sets
    /// ComputedTokens and PrefixHitTokens; returns the cached token count. Call on a sequence holding no pages.
    /// </summary>
    public int MatchPrefix(KvSequence sequence, ReadOnlySpan<int> promptTokens)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (sequence.AllocatedTokens != 0)
        {
            throw new InvalidOperationException("MatchPrefix needs a sequence that holds no pages (new, or freed after preemption).");
        }

        sequence.PrefixHitTokens = 0;
        if (_index is null || promptTokens.Length <= 1)
        {
            return 0;
        }

        var blockTokens = Layout.BlockTokens;
        _hasher.AppendBlockHashes(promptTokens, blockTokens, sequence.ExtraKeys, sequence.Salt, sequence.Hashes);
        var maxBlocks = Math.Min((promptTokens.Length - 1) / blockTokens, sequence.Hashes.Count);
        if (maxBlocks == 0)
        {
            return 0;
        }

        var types = Layout.TypeCount;
        var nodes = ArrayPool<int>.Shared.Rent(maxBlocks);
        var present = ArrayPool<bool>.Shared.Rent(types * maxBlocks);
        var scratch = ArrayPool<int>.Shared.Rent(types * maxBlocks);
        try
        {
            for (var b = 0; b < maxBlocks; b++)
            {
                nodes[b] = _index.Find(sequence.Hashes[b]);
                for (var t = 0; t < types; t++)
                {
                    present[(t * maxBlocks) + b] = nodes[b] >= 0 && _index.Page(nodes[b], t) >= 0;
                }
            }

            var hit = PrefixHitRule.LongestHit(present.AsSpan(0, types * maxBlocks), types, maxBlocks, _firstNeededAtHit, scratch);
            TakeHit(sequence, nodes.AsSpan(0, hit));
            return hit * blockTokens;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(nodes);
            ArrayPool<bool>.Shared.Return(present);
            ArrayPool<int>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Gives the sequence pages for its next <paramref name="newTokens"/> tokens (after ComputedTokens), in
    /// every type's table, evicting cached blocks if needed. All or nothing: false leaves the tables as they were.
    /// </summary>
    public bool TryAllocate(KvSequence sequence, int newTokens)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        ArgumentOutOfRangeException.ThrowIfNegative(newTokens);
        var target = sequence.ComputedTokens + newTokens;
        if (target <= sequence.AllocatedTokens)
        {
            return true;
        }

        var blocks = (target + Layout.BlockTokens - 1) / Layout.BlockTokens;
        Span<int> before = stackalloc int[Layout.TypeCount];
        for (var t = 0; t < Layout.TypeCount; t++)
        {
            var table = sequence.Tables[t];
            before[t] = table.Count;
            while (table.Count < blocks)
            {
                var page = AllocatePage(t, ref sequence.OpenLargePage[t]);
                if (page < 0)
                {
                    Rollback(sequence, before[..(t + 1)]);
                    return false;
                }

                table.Add(page);
            }
        }

        sequence.AllocatedTokens = target;
        return true;
    }

    /// <summary>
    /// Extends a sequence that holds exactly its computed, block-aligned tokens by <paramref name="blocks"/> whole
    /// blocks whose KV comes from outside (the remote tier): full-attention types get a page per block, sliding types
    /// only for blocks inside the window at the new end (the others are -1, as after a local hit). The caller
    /// fills the new pages (the block tables name them) before the next <see cref="Commit"/>, which offers them to
    /// the prefix cache. The blocks count as part of the admission's prefix hit (PrefixHitTokens). All or nothing:
    /// false leaves the sequence as it was.
    /// </summary>
    public bool TryAllocateExternal(KvSequence sequence, int blocks)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        ArgumentOutOfRangeException.ThrowIfNegative(blocks);
        var blockTokens = Layout.BlockTokens;
        if (sequence.ComputedTokens != sequence.AllocatedTokens || sequence.ComputedTokens % blockTokens != 0)
        {
            throw new InvalidOperationException("TryAllocateExternal needs a sequence holding exactly its computed, block-aligned tokens.");
        }

        var from = sequence.ComputedTokens / blockTokens;
        var end = from + blocks;
        Span<int> before = stackalloc int[Layout.TypeCount];
        for (var t = 0; t < Layout.TypeCount; t++)
        {
            var table = sequence.Tables[t];
            before[t] = table.Count;
            var first = Layout.Types[t].FirstNeededBlock(end * blockTokens, blockTokens);
            for (var b = from; b < end; b++)
            {
                var page = b < first ? -1 : AllocatePage(t, ref sequence.OpenLargePage[t]);
                if (page < 0 && b >= first)
                {
                    Rollback(sequence, before[..(t + 1)]);
                    return false;
                }

                table.Add(page);
            }
        }

        // Pages of the outgoing window that a sliding type held are released as Commit would.
        sequence.ComputedTokens = end * blockTokens;
        sequence.AllocatedTokens = end * blockTokens;
        sequence.PrefixHitTokens = end * blockTokens;
        ReleaseOutOfWindow(sequence);
        return true;
    }

    /// <summary>The page of <paramref name="type"/> caching the block with <paramref name="hash"/>, or -1.</summary>
    public int CachedPage(in BlockHash hash, int type)
    {
        var node = _index?.Find(hash) ?? -1;
        return node < 0 ? -1 : _index!.Page(node, type);
    }

    /// <summary>
    /// Records that the sequence's first <paramref name="computedTokens"/> tokens now have KV: offers its new
    /// full blocks to the prefix cache and releases sliding-window pages no later token attends to (they
    /// stay cached and evictable). <paramref name="tokens"/> holds at least the computed tokens.
    /// </summary>
    public void Commit(KvSequence sequence, ReadOnlySpan<int> tokens, int computedTokens)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (computedTokens < sequence.ComputedTokens || computedTokens > sequence.AllocatedTokens || tokens.Length < computedTokens)
        {
            throw new ArgumentOutOfRangeException(
                nameof(computedTokens), computedTokens,
                $"Commit needs {sequence.ComputedTokens} <= computed <= {sequence.AllocatedTokens} allocated and <= {tokens.Length} tokens given.");
        }

        sequence.ComputedTokens = computedTokens;
        if (_index is not null)
        {
            Register(_index, sequence, tokens[..computedTokens]);
        }

        ReleaseOutOfWindow(sequence);
    }

    /// <summary>Drops all the sequence's references (finish, cancel or preemption); cached pages become evictable, the tail first.</summary>
    public void Free(KvSequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        for (var t = 0; t < Layout.TypeCount; t++)
        {
            var table = sequence.Tables[t];
            for (var i = table.Count - 1; i >= 0; i--)
            {
                if (table[i] >= 0)
                {
                    Unreference(t, table[i]);
                }
            }

            table.Clear();
            sequence.OpenLargePage[t] = -1;
            sequence.ReleasedBlocks[t] = 0;
        }

        sequence.ComputedTokens = 0;
        sequence.AllocatedTokens = 0;
        sequence.RegisteredBlocks = 0;
    }

    private void TakeHit(KvSequence sequence, ReadOnlySpan<int> nodes)
    {
        var hitTokens = nodes.Length * Layout.BlockTokens;
        for (var t = 0; t < Layout.TypeCount; t++)
        {
            var first = Layout.Types[t].FirstNeededBlock(hitTokens, Layout.BlockTokens);
            var table = sequence.Tables[t];
            for (var b = 0; b < nodes.Length; b++)
            {
                if (b < first)
                {
                    table.Add(-1);
                    continue;
                }

                var page = _index!.Page(nodes[b], t);
                Reference(t, page);
                table.Add(page);
            }

            sequence.ReleasedBlocks[t] = first;
        }

        sequence.ComputedTokens = hitTokens;
        sequence.AllocatedTokens = hitTokens;
        sequence.RegisteredBlocks = nodes.Length;
        sequence.PrefixHitTokens = hitTokens;
    }

    private void Register(PrefixIndex index, KvSequence sequence, ReadOnlySpan<int> computed)
    {
        var full = computed.Length / Layout.BlockTokens;
        if (full <= sequence.RegisteredBlocks)
        {
            return;
        }

        _hasher.AppendBlockHashes(computed[..(full * Layout.BlockTokens)], Layout.BlockTokens, sequence.ExtraKeys, sequence.Salt, sequence.Hashes);
        for (var b = sequence.RegisteredBlocks; b < full; b++)
        {
            var node = index.Find(sequence.Hashes[b]);
            if (node < 0)
            {
                var parent = b == 0 ? -1 : index.Find(sequence.Hashes[b - 1]);
                if (parent < 0 && b > 0 && Layout.HasFullAttention)
                {
                    // The parent block left the cache: no full-attention hit can reach this one.
                    continue;
                }

                node = index.Add(sequence.Hashes[b], parent, b);
            }

            for (var t = 0; t < Layout.TypeCount; t++)
            {
                var page = sequence.Tables[t][b];
                if (page >= 0 && _nodeOf[t][page] < 0 && index.Page(node, t) < 0)
                {
                    index.SetPage(node, t, page);
                    _nodeOf[t][page] = node;
                }
            }

            if (index.PageCount(node) == 0)
            {
                index.Remove(node);
            }
        }

        sequence.RegisteredBlocks = full;
    }

    private void ReleaseOutOfWindow(KvSequence sequence)
    {
        for (var t = 0; t < Layout.TypeCount; t++)
        {
            var type = Layout.Types[t];
            if (!type.IsSliding)
            {
                continue;
            }

            var table = sequence.Tables[t];
            var first = Math.Min(type.FirstNeededBlock(sequence.ComputedTokens, Layout.BlockTokens), table.Count);
            for (var b = sequence.ReleasedBlocks[t]; b < first; b++)
            {
                if (table[b] >= 0)
                {
                    Unreference(t, table[b]);
                    table[b] = -1;
                }
            }

            sequence.ReleasedBlocks[t] = Math.Max(sequence.ReleasedBlocks[t], first);
        }
    }

    private void Rollback(KvSequence sequence, ReadOnlySpan<int> before)
    {
        for (var t = 0; t < before.Length; t++)
        {
            var table = sequence.Tables[t];
            while (table.Count > before[t])
            {
                if (table[^1] >= 0)
                {
                    Unreference(t, table[^1]);
                }

                table.RemoveAt(table.Count - 1);
            }
        }
    }

    private int AllocatePage(int type, ref int openLargePage)
    {
        while (true)
        {
            var page = _allocator.TryTake(type, ref openLargePage);
            if (page >= 0)
            {
                Reference(type, page);
                return page;
            }

            if (!EvictFor(type))
            {
                return -1;
            }
        }
    }

    /// <summary>Frees room for one page of <paramref name="type"/>: its own oldest cached page, else the least recently used large page holding only cached pages.</summary>
    private bool EvictFor(int type)
    {
        if (_lru[type].Count > 0)
        {
            EvictCachedPage(type, _lru[type].Oldest);
            return true;
        }

        var victim = _idleLarge.Oldest;
        if (victim < 0)
        {
            return false;
        }

        var owner = _allocator.OwnerOf(victim);
        var perLarge = Layout.SmallPagesPerLargePage(owner);
        for (var page = victim * perLarge; page < (victim + 1) * perLarge; page++)
        {
            if (_nodeOf[owner][page] >= 0)
            {
                EvictCachedPage(owner, page);
            }
        }

        return true;
    }

    private void EvictCachedPage(int type, int page)
    {
        var index = _index!;
        var node = _nodeOf[type][page];
        if (Layout.Types[type].IsSliding)
        {
            Uncache(index, type, page);
            if (index.PageCount(node) == 0)
            {
                // Only in a pool without full attention: nothing below depends on this node's other pages.
                index.Remove(node);
            }
            else
            {
                DropDeadEnds(index, node);
            }

            return;
        }

        DropSubtree(index, node);
    }

    /// <summary>
    /// After <paramref name="node"/> lost a sliding-window page: every hit ending within a window below it now
    /// misses that page, so leaves there that can no longer end a hit are dropped with all their pages (their
    /// full-attention pages would otherwise sit in memory serving nothing), and so are their parents in turn
    /// while they become such leaves. Interior nodes stay: deeper hits still need their full-attention pages.
    /// </summary>
    private void DropDeadEnds(PrefixIndex index, int node)
    {
        _leaves.Clear();
        _subtree.Clear();
        _subtree.Add(node);
        var deepest = index.Block(node) + _windowBlocks;
        for (var i = 0; i < _subtree.Count; i++)
        {
            var child = index.FirstChild(_subtree[i]);
            if (child < 0)
            {
                _leaves.Add(_subtree[i]);
            }

            for (; child >= 0; child = index.NextSibling(child))
            {
                if (index.Block(child) <= deepest)
                {
                    _subtree.Add(child);
                }
            }
        }

        foreach (var leaf in _leaves)
        {
            for (var dead = leaf; dead >= 0 && index.FirstChild(dead) < 0 && !CanEndHit(index, dead);)
            {
                var parent = index.Parent(dead);
                for (var t = 0; t < Layout.TypeCount; t++)
                {
                    if (index.Page(dead, t) >= 0)
                    {
                        Uncache(index, t, index.Page(dead, t));
                    }
                }

                index.Remove(dead);
                dead = parent;
            }
        }
    }

    /// <summary>Whether a hit covering blocks 0..Block(node) could be served: every type has the pages it needs from the chain.</summary>
    private bool CanEndHit(PrefixIndex index, int node)
    {
        var hitBlocks = index.Block(node) + 1;
        for (var t = 0; t < Layout.TypeCount; t++)
        {
            var first = _firstNeededAtHit(t, hitBlocks);
            var at = node;
            for (var b = hitBlocks - 1; b >= first; b--, at = index.Parent(at))
            {
                if (at < 0 || index.Page(at, t) < 0)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private void DropSubtree(PrefixIndex index, int root)
    {
        _subtree.Clear();
        _subtree.Add(root);
        for (var i = 0; i < _subtree.Count; i++)
        {
            for (var child = index.FirstChild(_subtree[i]); child >= 0; child = index.NextSibling(child))
            {
                _subtree.Add(child);
            }
        }

        foreach (var node in _subtree)
        {
            for (var t = 0; t < Layout.TypeCount; t++)
            {
                var page = index.Page(node, t);
                if (page >= 0)
                {
                    Uncache(index, t, page);
                }
            }

            index.Remove(node);
        }
    }

    /// <summary>Takes a page out of the cache; an unreferenced one goes back to the allocator, a referenced one stays its owners'.</summary>
    private void Uncache(PrefixIndex index, int type, int page)
    {
        index.ClearPage(_nodeOf[type][page], type);
        _nodeOf[type][page] = -1;
        EvictedPages++;
        if (_refCount[type][page] == 0)
        {
            _lru[type].Remove(page);
            Release(type, page);
        }
    }

    /// <summary>Gives a small page back to the allocator; a large page that empties leaves the idle list with it.</summary>
    private void Release(int type, int page)
    {
        var largePage = _allocator.LargePageOf(type, page);
        _allocator.Release(type, page);
        if (_allocator.OwnerOf(largePage) < 0 && _idleLarge.Contains(largePage))
        {
            _idleLarge.Remove(largePage);
        }
    }

    private void Reference(int type, int page)
    {
        if (_refCount[type][page]++ == 0)
        {
            if (_lru[type].Contains(page))
            {
                _lru[type].Remove(page);
            }

            var largePage = _allocator.LargePageOf(type, page);
            if (_largeReferenced[largePage]++ == 0 && _idleLarge.Contains(largePage))
            {
                _idleLarge.Remove(largePage);
            }
        }
    }

    private void Unreference(int type, int page)
    {
        if (--_refCount[type][page] > 0)
        {
            return;
        }

        var largePage = _allocator.LargePageOf(type, page);
        if (_nodeOf[type][page] >= 0)
        {
            _lru[type].Append(page);
        }
        else
        {
            Release(type, page);
        }

        // A large page whose pages are all free or merely cached is a whole-page eviction candidate, newest last.
        if (--_largeReferenced[largePage] == 0 && _allocator.OwnerOf(largePage) >= 0)
        {
            _idleLarge.Append(largePage);
        }
    }
}
