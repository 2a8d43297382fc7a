namespace LlmQueue.Engine.Cpu;

/// <summary>A loop body the <see cref="CpuWorkerPool"/> runs once per item.</summary>
internal interface IParallelWork
{
    /// <param name="item">Index in [0, itemCount).</param>
    /// <param name="worker">Index of the executing thread in [0, pool.Workers), for per-thread scratch.</param>
    void Execute(int item, int worker);
}
