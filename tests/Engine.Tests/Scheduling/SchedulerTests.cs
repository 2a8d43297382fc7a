using LlmQueue.Engine.KvCache.Jenga;
using LlmQueue.Engine.Scheduling;

namespace LlmQueue.Engine.Tests.Scheduling;

public class SchedulerTests
{
    private long _arrival;
    private JengaKvCache? _pool;
    private Scheduler? _scheduler;

    [Fact]
    public void Long_prompt_is_prefilled_in_chunks_under_the_token_budget()
    {
        var (scheduler, _) = Create(maxBatchTokens: 8, maxRunning: 4, blocks: 64);
        var seq = Sequence(promptLength: 20);
        scheduler.Add(seq);

        var counts = new List<(int Count, bool Samples)>();
        while (seq.OutputLength == 0)
        {
            var chunk = Assert.Single(scheduler.Schedule());
            counts.Add((chunk.TokenCount, chunk.SamplesToken));
            Complete(chunk);
        }

        Assert.Equal([(8, false), (8, false), (4, true)], counts);
    }

    [Fact]
    public void Running_sequences_decode_before_waiting_ones_are_admitted()
    {
        var (scheduler, _) = Create(maxBatchTokens: 10, maxRunning: 8, blocks: 64);
        var first = Sequence(promptLength: 6);
        scheduler.Add(first);
        Complete(Assert.Single(scheduler.Schedule()));

        var second = Sequence(promptLength: 30);
        scheduler.Add(second);
        var step = scheduler.Schedule();

        Assert.Equal(2, step.Count);
        Assert.Same(first, step[0].Sequence);
        Assert.Equal(1, step[0].TokenCount);
        Assert.Same(second, step[1].Sequence);
        Assert.Equal(9, step[1].TokenCount);
    }

    [Fact]
    public void Never_runs_more_than_the_running_limit()
    {
        var (scheduler, _) = Create(maxBatchTokens: 100, maxRunning: 2, blocks: 64);
        for (var i = 0; i < 5; i++)
        {
            scheduler.Add(Sequence(promptLength: 3));
        }

        Assert.Equal(2, scheduler.Schedule().Count);
        Assert.Equal(2, scheduler.RunningCount);
        Assert.Equal(3, scheduler.WaitingCount);
    }

    [Fact]
    public void Higher_priority_waits_less()
    {
        var (scheduler, _) = Create(maxBatchTokens: 100, maxRunning: 1, blocks: 64);
        var low = Sequence(promptLength: 3, priority: 0);
        var high = Sequence(promptLength: 3, priority: 5);
        scheduler.Add(low);
        scheduler.Add(high);

        Assert.Same(high, Assert.Single(scheduler.Schedule()).Sequence);
    }

    [Fact]
    public void Out_of_blocks_preempts_the_newest_and_it_resumes_by_recompute()
    {
        // 6 blocks of 4 tokens: two sequences of 8 prompt tokens fit, but not their growth.
        var (scheduler, kv) = Create(maxBatchTokens: 64, maxRunning: 4, blocks: 6, blockSize: 4);
        var older = Sequence(promptLength: 8);
        var newer = Sequence(promptLength: 8);
        scheduler.Add(older);
        scheduler.Add(newer);

        var preemptedSeen = false;
        for (var step = 0; step < 200 && scheduler.HasWork; step++)
        {
            foreach (var chunk in scheduler.Schedule().ToList())
            {
                Complete(chunk);
                if (chunk.Sequence.OutputLength >= 10)
                {
                    scheduler.Remove(chunk.Sequence);
                }
            }

            preemptedSeen |= newer.Preemptions > 0;
        }

        Assert.True(preemptedSeen);
        Assert.Equal(0, older.Preemptions);
        Assert.False(scheduler.HasWork);
        Assert.Equal(kv.TotalBlocks, kv.FreeBlocks);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Random_workloads_finish_without_leaks_and_respect_every_limit(int seed)
    {
        var random = new Random(seed);
        var blockSize = random.Next(1, 9);
        var maxBatchTokens = random.Next(8, 64);
        var maxRunning = random.Next(1, 9);
        var maxLength = random.Next(4, 40);
        // The pool must hold at least one full-length sequence, as the engine's context limit ensures.
        var blocks = ((maxLength * 2) / blockSize) + 1 + random.Next(0, 40);
        var (scheduler, kv) = Create(maxBatchTokens, maxRunning, blocks, blockSize);
        var targets = new Dictionary<EngineSequence, int>();
        var pending = Enumerable.Range(0, 30)
            .Select(_ => (Seq: Sequence(random.Next(1, maxLength), random.Next(0, 3)), Output: random.Next(1, maxLength)))
            .ToList();

        var steps = 0;
        while ((pending.Count > 0 || scheduler.HasWork) && steps++ < 20_000)
        {
            if (pending.Count > 0 && random.Next(3) == 0)
            {
                targets[pending[0].Seq] = pending[0].Output;
                scheduler.Add(pending[0].Seq);
                pending.RemoveAt(0);
            }

            var step = scheduler.Schedule().ToList();
            Assert.True(step.Sum(c => c.TokenCount) <= maxBatchTokens);
            Assert.True(step.Count <= maxRunning);
            Assert.Equal(step.Count, step.Select(c => c.Sequence).Distinct().Count());
            foreach (var chunk in step)
            {
                Assert.True(chunk.Sequence.Kv.BlockTable(0).Length * blockSize >= chunk.Sequence.ComputedTokens + chunk.TokenCount);
                Complete(chunk);
                if (chunk.Sequence.OutputLength >= targets[chunk.Sequence])
                {
                    scheduler.Remove(chunk.Sequence);
                }
            }

            var owned = targets.Keys.Where(s => s.Status != SequenceStatus.Finished).Sum(s => s.Kv.BlockTable(0).Length);
            Assert.Equal(kv.TotalBlocks, kv.FreeBlocks + owned);
        }

        Assert.Empty(pending);
        Assert.False(scheduler.HasWork);
        Assert.All(targets, t => Assert.Equal(SequenceStatus.Finished, t.Key.Status));
        Assert.Equal(kv.TotalBlocks, kv.FreeBlocks);
    }

    private (Scheduler Scheduler, PoolView Kv) Create(int maxBatchTokens, int maxRunning, int blocks, int blockSize = 4)
    {
        var layout = KvPoolLayout.FromLayers([new KvLayerSpec(KvHeads: 1, HeadDim: 4, DtypeBytes: 4)], blockSize);
        // Prefix caching off: these tests are about scheduling; the cache has its own tests.
        _pool = new JengaKvCache(layout, blocks * layout.SmallPageBytes(0), "scheduler-tests", enablePrefixCaching: false);
        _scheduler = new Scheduler(new SchedulerLimits(maxBatchTokens, maxRunning), _pool);
        return (_scheduler, new PoolView(_pool));
    }

    private EngineSequence Sequence(int promptLength, int priority = 0) =>
        new($"r{_arrival}", Enumerable.Range(1, promptLength).ToArray(), priority, _arrival++, _pool!.CreateSequence());

    /// <summary>Plays the engine's part: the chunk's tokens are computed and, at the end, one is sampled.</summary>
    private void Complete(ScheduledChunk chunk)
    {
        var samples = chunk.SamplesToken;
        _scheduler!.Commit(chunk.Sequence, chunk.Sequence.ComputedTokens + chunk.TokenCount);
        if (samples)
        {
            chunk.Sequence.AppendToken(7);
        }
    }

    /// <summary>Block counts of the pool as the assertions read them.</summary>
    private sealed class PoolView(JengaKvCache pool)
    {
        public int TotalBlocks => pool.SmallPageCount(0);

        public int FreeBlocks => (int)(pool.FreeBytes / pool.Layout.SmallPageBytes(0));
    }
}
