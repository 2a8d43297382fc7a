using LlmQueue.Engine.KvCache.Jenga;

namespace LlmQueue.Engine.Tests.KvCache.Jenga;

/// <summary>
/// Random interleavings of admit / step / finish / preempt / re-admit over random layer-type mixes and
/// tight budgets (so eviction and refusal happen). After every operation the pool's state is checked
/// against a model the test keeps itself: reference counts from the sequences' own tables, byte totals
/// recomputed page by page, table shapes from the window rule, and what each page holds (tenant + the
/// token prefix whose KV was written), so a prefix hit that hands out the wrong page, a page owned twice
/// or a block shared across tenants is caught.
/// </summary>
public class JengaKvCachePropertyTests
{
    public static TheoryData<int> Seeds() => [.. Enumerable.Range(0, 60)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_interleavings_keep_ownership_reference_counts_and_bytes_exact(int seed)
    {
        var rng = new Random(seed);
        var layout = RandomLayout(rng);
        var pool = new JengaKvCache(layout, layout.LargePageBytes * rng.Next(3, 30), "model", enablePrefixCaching: rng.Next(4) != 0);
        var bases = Enumerable.Range(0, 3).Select(_ => Tokens(rng, rng.Next(10, 60))).ToArray();
        var world = new World(pool, layout);
        for (var op = 0; op < 400; op++)
        {
            switch (rng.Next(6))
            {
                case 0:
                case 1:
                    var prefix = bases[rng.Next(bases.Length)];
                    var prompt = prefix.Take(rng.Next(1, prefix.Count + 1)).Concat(Tokens(rng, rng.Next(0, 6))).ToList();
                    var tenant = $"tenant{rng.Next(2)}";
                    world.Admit(new Sim(pool.CreateSequence(tenant), prompt, tenant));
                    break;
                case 2 when world.Waiting.Count > 0:
                    world.Readmit(world.Waiting[rng.Next(world.Waiting.Count)]);
                    break;
                case 3 when world.Running.Count > 0:
                    world.Step(world.Running[rng.Next(world.Running.Count)], rng);
                    break;
                case 4 when world.Running.Count > 0:
                    world.Finish(world.Running[rng.Next(world.Running.Count)]);
                    break;
                case 5 when world.Running.Count > 0:
                    world.Preempt(world.Running[rng.Next(world.Running.Count)]);
                    break;
            }

            world.CheckInvariants();
        }

        foreach (var sim in world.Running.ToList())
        {
            world.Finish(sim);
        }

        world.CheckInvariants();
        Assert.Equal(0, pool.ReferencedBytes);
    }

    private static KvPoolLayout RandomLayout(Random rng)
    {
        var types = Enumerable.Range(0, rng.Next(1, 4)).Select(i => new KvLayerType(
            $"t{i}", rng.Next(1, 5), 8 * rng.Next(1, 4), rng.Next(3) == 0 ? null : new[] { 5, 8, 13 }[rng.Next(3)])).ToList();
        return KvPoolLayout.FromTypes(types, rng.Next(2) == 0 ? 2 : 4);
    }

    private static List<int> Tokens(Random rng, int count) => [.. Enumerable.Range(0, count).Select(_ => rng.Next(4))];

    private sealed class Sim(KvSequence sequence, List<int> tokens, string tenant)
    {
        public KvSequence Sequence { get; } = sequence;

        public List<int> Tokens { get; } = tokens;

        public string Tenant { get; } = tenant;

        public string Identity(int block, int blockTokens) => $"{Tenant}|{string.Join(',', Tokens.Take((block + 1) * blockTokens))}";
    }

    private sealed class World(JengaKvCache pool, KvPoolLayout layout)
    {
        private readonly Dictionary<(int Type, int Page), string> _content = [];

        public List<Sim> Running { get; } = [];

        public List<Sim> Waiting { get; } = [];

        public void Admit(Sim sim) => Start(sim);

        public void Readmit(Sim sim)
        {
            Waiting.Remove(sim);
            Start(sim);
        }

        public void Step(Sim sim, Random rng)
        {
            var sequence = sim.Sequence;
            if (sequence.ComputedTokens == sim.Tokens.Count)
            {
                sim.Tokens.Add(rng.Next(4));
            }

            var count = Math.Min(rng.Next(1, 13), sim.Tokens.Count - sequence.ComputedTokens);
            if (!pool.TryAllocate(sequence, count))
            {
                Preempt(sim);
                return;
            }

            var before = sequence.ComputedTokens;
            var after = before + count;
            var completed = new List<(int Type, int Page, int Block)>();
            for (var block = before / layout.BlockTokens; (block + 1) * layout.BlockTokens <= after; block++)
            {
                for (var t = 0; t < layout.TypeCount; t++)
                {
                    var page = sequence.BlockTable(t)[block];
                    Assert.True(page >= 0, $"type {t} block {block} has no page while being computed");
                    completed.Add((t, page, block));
                }
            }

            pool.Commit(sequence, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(sim.Tokens), after);
            foreach (var (type, page, block) in completed)
            {
                _content[(type, page)] = sim.Identity(block, layout.BlockTokens);
            }
        }

        public void Finish(Sim sim)
        {
            Running.Remove(sim);
            pool.Free(sim.Sequence);
        }

        public void Preempt(Sim sim)
        {
            Running.Remove(sim);
            pool.Free(sim.Sequence);
            Waiting.Add(sim);
        }

        public void CheckInvariants()
        {
            var expected = new Dictionary<(int, int), int>();
            var holders = new Dictionary<(int, int), string>();
            foreach (var sim in Running)
            {
                CheckTableShape(sim.Sequence);
                for (var t = 0; t < layout.TypeCount; t++)
                {
                    var table = sim.Sequence.BlockTable(t);
                    for (var b = 0; b < table.Length; b++)
                    {
                        if (table[b] < 0)
                        {
                            continue;
                        }

                        var key = (t, table[b]);
                        expected[key] = expected.GetValueOrDefault(key) + 1;
                        // A page held by two sequences must be the same block of the same tenant's prefix.
                        var identity = (b + 1) * layout.BlockTokens <= sim.Sequence.ComputedTokens ? sim.Identity(b, layout.BlockTokens) : $"private {sim.GetHashCode()}";
                        if (!holders.TryAdd(key, identity))
                        {
                            Assert.Equal(holders[key], identity);
                        }
                    }
                }
            }

            long free = 0, evictable = 0, referenced = 0;
            for (var t = 0; t < layout.TypeCount; t++)
            {
                for (var page = 0; page < pool.SmallPageCount(t); page++)
                {
                    var refs = pool.RefCount(t, page);
                    Assert.Equal(expected.GetValueOrDefault((t, page)), refs);
                    var owned = pool.OwnerOfLargePage(pool.LargePageOf(t, page)) == t;
                    var cached = pool.IsCached(t, page);
                    if (refs > 0 || cached)
                    {
                        Assert.True(owned && !pool.IsFree(t, page), $"type {t} page {page} in use outside its type's large pages or marked free");
                    }

                    if (!owned)
                    {
                        continue;
                    }

                    var size = layout.SmallPageBytes(t);
                    if (refs > 0)
                    {
                        referenced += size;
                    }
                    else if (cached)
                    {
                        evictable += size;
                    }
                    else
                    {
                        Assert.True(pool.IsFree(t, page), $"type {t} page {page} is neither referenced, cached nor free (leaked)");
                        free += size;
                    }
                }
            }

            for (var largePage = 0; largePage < pool.TotalLargePages; largePage++)
            {
                var owner = pool.OwnerOfLargePage(largePage);
                if (owner < 0)
                {
                    free += layout.LargePageBytes;
                    continue;
                }

                var per = layout.SmallPagesPerLargePage(owner);
                Assert.Contains(Enumerable.Range(largePage * per, per), p => !pool.IsFree(owner, p));
            }

            Assert.Equal(free, pool.FreeBytes);
            Assert.Equal(evictable, pool.EvictableBytes);
            Assert.Equal(referenced, pool.ReferencedBytes);
            Assert.Equal(pool.CapacityBytes, free + evictable + referenced);
        }

        private void Start(Sim sim)
        {
            var tokens = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(sim.Tokens);
            var cached = pool.MatchPrefix(sim.Sequence, tokens);
            Assert.Equal(cached, sim.Sequence.PrefixHitTokens);
            Assert.True(cached % layout.BlockTokens == 0 && cached <= Math.Max(0, sim.Tokens.Count - 1), $"hit of {cached} tokens for a {sim.Tokens.Count}-token prompt");
            for (var t = 0; t < layout.TypeCount; t++)
            {
                var table = sim.Sequence.BlockTable(t);
                for (var b = 0; b < table.Length; b++)
                {
                    if (table[b] >= 0)
                    {
                        Assert.Equal(sim.Identity(b, layout.BlockTokens), _content[(t, table[b])]);
                    }
                }
            }

            Running.Add(sim);
        }

        private void CheckTableShape(KvSequence sequence)
        {
            var blocks = (sequence.AllocatedTokens + layout.BlockTokens - 1) / layout.BlockTokens;
            for (var t = 0; t < layout.TypeCount; t++)
            {
                var table = sequence.BlockTable(t);
                Assert.Equal(blocks, table.Length);
                var first = layout.Types[t].FirstNeededBlock(sequence.ComputedTokens, layout.BlockTokens);
                for (var b = 0; b < table.Length; b++)
                {
                    Assert.Equal(b >= first, table[b] >= 0);
                }
            }
        }
    }
}
