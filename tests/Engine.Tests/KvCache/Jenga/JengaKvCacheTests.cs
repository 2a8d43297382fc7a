using LlmQueue.Engine.KvCache.Jenga;

namespace LlmQueue.Engine.Tests.KvCache.Jenga;

public class JengaKvCacheTests
{
    private const int Block = 4;

    // Type 0: full attention, 2 layers x 8 bytes; type 1: sliding window 8, 3 layers x 8 bytes.
    private static KvPoolLayout Layout() =>
        KvPoolLayout.FromTypes([new KvLayerType("full", 2, 8), new KvLayerType("sliding", 3, 8, 8)], Block);

    [Fact]
    public void A_repeated_prompt_hits_every_full_block_and_only_the_sliding_window()
    {
        var pool = new JengaKvCache(Layout(), Layout().LargePageBytes * 40, "m");
        var prompt = Enumerable.Range(100, 21).ToArray();
        var first = Run(pool, prompt, chunk: 8);
        var firstFull = first.BlockTable(0).ToArray();
        var firstSliding = first.BlockTable(1).ToArray();
        pool.Free(first);

        var second = pool.CreateSequence();
        var cached = pool.MatchPrefix(second, prompt);

        Assert.Equal(20, cached); // 5 full blocks; the last token is recomputed
        Assert.Equal(20, second.PrefixHitTokens);
        Assert.Equal(firstFull[..5], second.BlockTable(0).ToArray());
        // The first recomputed token (20) attends to keys 13..20: sliding blocks 3 and 4 only.
        Assert.Equal([-1, -1, -1, firstSliding[3], firstSliding[4]], second.BlockTable(1).ToArray());
        Assert.All(second.BlockTable(0).ToArray(), p => Assert.Equal(1, pool.RefCount(0, p)));
    }

    [Fact]
    public void Sliding_pages_outside_the_window_are_released_during_chunked_prefill()
    {
        var pool = new JengaKvCache(Layout(), Layout().LargePageBytes * 40, "m", enablePrefixCaching: false);
        var sequence = pool.CreateSequence();
        var tokens = Enumerable.Range(0, 64).ToArray();
        for (var computed = 0; computed < tokens.Length; computed += 8)
        {
            Assert.True(pool.TryAllocate(sequence, 8));
            pool.Commit(sequence, tokens, computed + 8);
            var next = computed + 8;
            var sliding = sequence.BlockTable(1).ToArray();
            for (var b = 0; b < sliding.Length; b++)
            {
                // Block b is needed iff it holds a key >= next - 8 + 1.
                var needed = ((b + 1) * Block) - 1 >= next - 8 + 1;
                Assert.Equal(needed, sliding[b] >= 0);
            }

            Assert.All(sequence.BlockTable(0).ToArray(), p => Assert.True(p >= 0));
        }

        var liveBytes = (16 * Layout().SmallPageBytes(0)) + (2 * Layout().SmallPageBytes(1));
        Assert.Equal(liveBytes, pool.ReferencedBytes);
    }

    [Fact]
    public void Two_tenants_never_share_a_block_and_one_tenant_does()
    {
        var pool = new JengaKvCache(Layout(), Layout().LargePageBytes * 40, "m");
        var prompt = Enumerable.Range(0, 17).ToArray();
        var alice = Run(pool, prompt, chunk: 17, salt: "alice");

        var bob = pool.CreateSequence("bob");
        Assert.Equal(0, pool.MatchPrefix(bob, prompt));
        Assert.True(pool.TryAllocate(bob, prompt.Length));
        Assert.Empty(alice.BlockTable(0).ToArray().Intersect(bob.BlockTable(0).ToArray()));

        var alice2 = pool.CreateSequence("alice");
        Assert.Equal(16, pool.MatchPrefix(alice2, prompt));
        Assert.Equal(alice.BlockTable(0)[..4].ToArray(), alice2.BlockTable(0).ToArray());
        Assert.All(alice2.BlockTable(0).ToArray(), p => Assert.Equal(2, pool.RefCount(0, p)));
    }

    [Fact]
    public void Allocation_evicts_cached_blocks_and_fails_cleanly_when_everything_is_referenced()
    {
        var layout = Layout();
        var pool = new JengaKvCache(layout, layout.LargePageBytes * 2, "m");
        var capacityTokens = 0;
        var probe = pool.CreateSequence();
        while (pool.TryAllocate(probe, Block))
        {
            capacityTokens += Block;
            pool.Commit(probe, new int[capacityTokens], capacityTokens);
        }

        pool.Free(probe);
        Assert.True(pool.EvictableBytes > 0);

        var other = pool.CreateSequence();
        Assert.True(pool.TryAllocate(other, capacityTokens - Block));
        Assert.True(pool.EvictedPages > 0);
        var held = other.BlockTable(0).ToArray();
        var referenced = pool.ReferencedBytes;

        var refused = pool.CreateSequence();
        Assert.False(pool.TryAllocate(refused, capacityTokens));
        Assert.Equal(0, refused.BlockTable(0).Length);
        Assert.Equal(referenced, pool.ReferencedBytes);
        Assert.Equal(held, other.BlockTable(0).ToArray());
    }

    [Fact]
    public void Losing_a_sliding_page_drops_the_full_attention_blocks_that_can_no_longer_end_a_hit()
    {
        // Large page = 3 full pages = 2 sliding pages. The 12-token prompt caches blocks 0..2 (3 full pages in one
        // large page, 3 sliding pages in two); one large page stays free.
        var pool = new JengaKvCache(Layout(), Layout().LargePageBytes * 4, "m");
        var cachedPrompt = Run(pool, Enumerable.Range(100, 12).ToArray(), chunk: 12);
        var fullPages = cachedPrompt.BlockTable(0).ToArray();
        pool.Free(cachedPrompt);
        Assert.Equal(3, pool.CachedBlocks);

        var other = pool.CreateSequence();
        Assert.True(pool.TryAllocate(other, Block)); // the free large page and the last free sliding slot
        Assert.Equal(0, pool.EvictedPages);

        // Evicts the oldest sliding page, block 0's (released first): a 3-block hit needs only blocks 1..2 of the
        // window, so every full page still serves a hit.
        Assert.True(pool.TryAllocate(other, 2 * Block));
        Assert.Equal(1, pool.EvictedPages);
        Assert.Equal(3, pool.CachedBlocks);

        // Evicts block 2's sliding page: no hit can end at block 2 (window 1..2), at 1 (window 0..1) or at 0: the
        // whole chain goes, full pages included, instead of holding memory that serves nothing.
        Assert.True(pool.TryAllocate(other, 3 * Block));
        Assert.Equal(0, pool.CachedBlocks);
        Assert.All(fullPages, p => Assert.False(pool.IsCached(0, p)));
        Assert.Equal(0, pool.EvictableBytes);
    }

    [Fact]
    public void Finishing_requests_return_whole_large_pages()
    {
        // 4 small pages of "a" per large page, 1 of "b": each request's three "a" pages share one large page.
        var layout = KvPoolLayout.FromTypes([new KvLayerType("a", 1, 8), new KvLayerType("b", 4, 8)], Block);
        var pool = new JengaKvCache(layout, layout.LargePageBytes * 8, "m", enablePrefixCaching: false);
        var a = pool.CreateSequence();
        var b = pool.CreateSequence();
        Assert.True(pool.TryAllocate(a, 3 * Block));
        Assert.True(pool.TryAllocate(b, 3 * Block));

        Assert.Empty(a.BlockTable(0).ToArray().Select(p => pool.LargePageOf(0, p)).Intersect(b.BlockTable(0).ToArray().Select(p => pool.LargePageOf(0, p))));
        pool.Free(a);
        Assert.Equal(4, pool.FreeLargePages);
    }

    private static KvSequence Run(JengaKvCache pool, int[] prompt, int chunk, string? salt = null)
    {
        var sequence = pool.CreateSequence(salt);
        pool.MatchPrefix(sequence, prompt);
        while (sequence.ComputedTokens < prompt.Length)
        {
            var count = Math.Min(chunk, prompt.Length - sequence.ComputedTokens);
            Assert.True(pool.TryAllocate(sequence, count));
            pool.Commit(sequence, prompt, sequence.ComputedTokens + count);
        }

        return sequence;
    }
}
