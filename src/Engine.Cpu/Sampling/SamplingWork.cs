using LlmQueue.Engine.Runners;

namespace LlmQueue.Engine.Cpu.Sampling;

/// <summary>Samples a step's rows in parallel on the runner's compute threads, one row per work item.</summary>
internal sealed class SamplingWork : IParallelWork
{
    private ForwardBatch? _batch;
    private float[] _logits = [];
    private int _vocab;

    public void Run(CpuWorkerPool pool, ForwardBatch batch, float[] logits, int vocab)
    {
        _batch = batch;
        _logits = logits;
        _vocab = vocab;
        try
        {
            pool.Run(this, batch.Sampling.Count);
        }
        finally
        {
            _batch = null;
        }
    }

    public void Execute(int item, int worker)
    {
        var batch = _batch!;
        HostSampler.Sample(_logits.AsSpan(item * _vocab, _vocab), batch.Sampling[item], batch.Outputs, item);
    }
}
