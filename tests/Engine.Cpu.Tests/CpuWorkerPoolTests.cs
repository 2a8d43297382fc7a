using LlmQueue.Engine.Cpu;
using Xunit;

namespace LlmQueue.Engine.Cpu.Tests;

public class CpuWorkerPoolTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(3, 1000)]
    public void Every_item_runs_exactly_once_per_call(int threads, int items)
    {
        using var pool = new CpuWorkerPool(threads);
        var work = new CountingWork(items, pool.Workers);
        for (int round = 1; round <= 50; round++)
        {
            pool.Run(work, items);
            Assert.All(work.Counts, c => Assert.Equal(round, c));
        }

        Assert.All(work.Workers, w => Assert.InRange(w, 0, pool.Workers - 1));
    }

    [Fact]
    public void Many_short_regions_in_a_row_run_every_item_exactly_once()
    {
        // Helpers wake late, spin, sleep and race the caller for items across region boundaries here;
        // an item claimed for a region that already ended would show up as a double count.
        using var pool = new CpuWorkerPool(4);
        var work = new CountingWork(3, pool.Workers);
        for (int round = 1; round <= 20_000; round++)
        {
            pool.Run(work, 3);
        }

        Assert.All(work.Counts, c => Assert.Equal(20_000, c));
    }

    [Fact]
    public void An_item_failure_is_rethrown_on_the_caller_and_the_pool_stays_usable()
    {
        using var pool = new CpuWorkerPool(2);
        var failing = new CountingWork(64, pool.Workers) { FailAt = 17 };
        var error = Assert.Throws<InvalidOperationException>(() => pool.Run(failing, 64));
        Assert.Contains("17", error.Message, StringComparison.Ordinal);

        var healthy = new CountingWork(64, pool.Workers);
        pool.Run(healthy, 64);
        Assert.All(healthy.Counts, c => Assert.Equal(1, c));
    }

    private sealed class CountingWork(int items, int workers) : IParallelWork
    {
        public int[] Counts { get; } = new int[items];

        public int[] Workers { get; } = new int[items];

        public int FailAt { get; init; } = -1;

        public void Execute(int item, int worker)
        {
            Assert.InRange(worker, 0, workers - 1);
            Workers[item] = worker;
            Interlocked.Increment(ref Counts[item]);
            if (item == FailAt)
            {
                throw new InvalidOperationException($"item {item} failed");
            }
        }
    }
}
