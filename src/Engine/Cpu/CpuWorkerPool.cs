using System.Runtime.ExceptionServices;

namespace LlmQueue.Engine.Cpu;

/// <summary>
/// Persistent compute threads. <see cref="Run"/> hands out items dynamically to the caller plus
/// Workers - 1 background threads; unlike Parallel.For it allocates nothing per call, which matters
/// because a decode step issues ~100 parallel loops.
/// </summary>
internal sealed class CpuWorkerPool : IDisposable
{
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim _start = new(0);
    private readonly ManualResetEventSlim _done = new(false);
    private IParallelWork? _work;
    private int _itemCount;
    private int _nextItem;
    private int _pendingPermits;
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
        if (itemCount <= 0)
        {
            return;
        }

        int helpers = Math.Min(_threads.Length, itemCount - 1);
        if (helpers == 0)
        {
            for (int i = 0; i < itemCount; i++)
            {
                work.Execute(i, 0);
            }

            return;
        }

        _work = work;
        _itemCount = itemCount;
        _nextItem = 0;
        _failure = null;
        _pendingPermits = helpers;
        _done.Reset();
        _start.Release(helpers); // full fence: the fields above are visible to the woken threads
        Drain(0);
        _done.Wait();
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
        if (_threads.Length > 0)
        {
            _start.Release(_threads.Length);
        }

        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _start.Dispose();
        _done.Dispose();
    }

    private void WorkerLoop(int worker)
    {
        while (true)
        {
            _start.Wait();
            if (_disposed)
            {
                return;
            }

            Drain(worker);
            // A fast thread may take two permits in one round; it then counts for both, which is
            // still correct because every permit holder has finished its items before counting down.
            if (Interlocked.Decrement(ref _pendingPermits) == 0)
            {
                _done.Set();
            }
        }
    }

    private void Drain(int worker)
    {
        var work = _work!;
        int item;
        while ((item = Interlocked.Increment(ref _nextItem) - 1) < _itemCount)
        {
            try
            {
                work.Execute(item, worker);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
        }
    }
}
