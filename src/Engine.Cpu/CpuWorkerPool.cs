using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace LlmQueue.Engine.Cpu;

/// <summary>
/// Persistent compute threads. <see cref="Run"/> hands out items dynamically to the caller plus
/// Workers - 1 background threads; unlike Parallel.For it allocates nothing per call, which matters
/// because a decode step issues dozens of parallel loops.
/// </summary>
/// <remarks>
/// Built to degrade gracefully when other threads compete for the cores:
/// <list type="bullet">
/// <item>The caller waits for claimed items to finish, never for helpers to wake up: a helper the OS
/// has not scheduled yet costs nothing, because the caller simply claims its items too.</item>
/// <item>Waiting threads spin for a bounded time (a region ends, or the next one starts, within
/// microseconds when the cores are free), then block, so a waiter never holds a core the thread with
/// the remaining work needs.</item>
/// </list>
/// A region's state lives in one 64-bit claim word (generation | item count | next item), so a helper
/// that wakes late can only claim items of the region that is open right now.
/// </remarks>
internal sealed class CpuWorkerPool : IDisposable
{
    private const int IndexBits = 20;
    private const long IndexMask = (1L << IndexBits) - 1;
    private const int GenerationShift = 2 * IndexBits;

    /// <summary>Most items one <see cref="Run"/> accepts (they share the claim word with the generation).</summary>
    public const int MaxItems = (int)IndexMask;

    // A few tens of microseconds covers the serial gap between a step's regions; longer would only burn
    // a core that another thread (in or outside this process) could use.
    private static readonly long _workerSpinTicks = Stopwatch.Frequency / 20_000; // 50 us
    private static readonly long _callerSpinTicks = Stopwatch.Frequency / 50_000; // 20 us

    private readonly Thread[] _threads;
    private readonly object _gate = new();
    private IParallelWork? _work;
    private long _claim;
    private int _completed;
    private int _sleepingWorkers;
    private int _callerSleeping;
    private Exception? _failure;
    private volatile bool _disposed;

    public CpuWorkerPool(int threads)
    {
        Workers = threads > 0 ? threads : Environment.ProcessorCount;
        _threads = new Thread[Workers - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            int worker = i + 1;
            _threads[i] = new Thread(() => WorkerLoop(worker)) { IsBackground = true, Name = $"llmq-cpu-{worker}" };
            _threads[i].Start();
        }
    }

    public int Workers { get; }

    /// <summary>Runs work.Execute(i, worker) for every i in [0, itemCount) and returns when all are done.</summary>
    public void Run(IParallelWork work, int itemCount)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(itemCount, MaxItems);
        if (itemCount <= 0)
        {
            return;
        }

        if (_threads.Length == 0 || itemCount == 1)
        {
            for (int i = 0; i < itemCount; i++)
            {
                work.Execute(i, 0);
            }

            return;
        }

        _work = work;
        _failure = null;
        Volatile.Write(ref _completed, 0);
        long generation = (_claim >> GenerationShift) + 1;
        // Full fence: work and counters are visible before any helper can claim; it also orders the
        // publish before the sleeper check below (the helpers do the mirror image).
        Interlocked.Exchange(ref _claim, (generation << GenerationShift) | ((long)itemCount << IndexBits));
        if (Volatile.Read(ref _sleepingWorkers) > 0)
        {
            lock (_gate)
            {
                Monitor.PulseAll(_gate);
            }
        }

        Drain(0);
        WaitForCompletion(itemCount);
        _work = null;
        if (_failure is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }

        foreach (var thread in _threads)
        {
            thread.Join();
        }
    }

    private void WorkerLoop(int worker)
    {
        long seen = 0;
        while (true)
        {
            seen = WaitForNewGeneration(seen);
            if (_disposed)
            {
                return;
            }

            Drain(worker);
        }
    }

    /// <summary>Returns the generation bits of the first claim word newer than <paramref name="seen"/>.</summary>
    private long WaitForNewGeneration(long seen)
    {
        long deadline = Stopwatch.GetTimestamp() + _workerSpinTicks;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            long generation = Volatile.Read(ref _claim) >> GenerationShift;
            if (generation != seen || _disposed)
            {
                return generation;
            }

            Thread.SpinWait(16);
        }

        lock (_gate)
        {
            Interlocked.Increment(ref _sleepingWorkers);
            try
            {
                long generation;
                while ((generation = Volatile.Read(ref _claim) >> GenerationShift) == seen && !_disposed)
                {
                    Monitor.Wait(_gate);
                }

                return generation;
            }
            finally
            {
                Interlocked.Decrement(ref _sleepingWorkers);
            }
        }
    }

    /// <summary>Claims and runs items of the open region until none are left.</summary>
    private void Drain(int worker)
    {
        while (true)
        {
            long claim = Volatile.Read(ref _claim);
            int item = (int)(claim & IndexMask);
            int count = (int)((claim >> IndexBits) & IndexMask);
            if (item >= count)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _claim, claim + 1, claim) != claim)
            {
                continue;
            }

            // Read only after a successful claim: the region cannot end (and _work cannot change)
            // before this item completes.
            try
            {
                _work!.Execute(item, worker);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }

            if (Interlocked.Increment(ref _completed) == count && Volatile.Read(ref _callerSleeping) != 0)
            {
                lock (_gate)
                {
                    Monitor.PulseAll(_gate);
                }
            }
        }
    }

    /// <summary>The caller has no items left to claim; waits for those still running on helpers.</summary>
    private void WaitForCompletion(int itemCount)
    {
        long deadline = Stopwatch.GetTimestamp() + _callerSpinTicks;
        while (Volatile.Read(ref _completed) < itemCount)
        {
            if (Stopwatch.GetTimestamp() >= deadline)
            {
                lock (_gate)
                {
                    Interlocked.Exchange(ref _callerSleeping, 1);
                    while (Volatile.Read(ref _completed) < itemCount)
                    {
                        Monitor.Wait(_gate);
                    }

                    Volatile.Write(ref _callerSleeping, 0);
                }

                return;
            }

            Thread.SpinWait(16);
        }
    }
}
