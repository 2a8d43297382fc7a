using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Execution;

/// <summary>
/// One instantiated CUDA graph per decode bucket, captured the first time a step of that bucket runs and replayed
/// after: the launch sequence reads persistent buffers, so a replay only needs the step's inputs copied in first.
/// Dropped together when a buffer a graph addresses moves.
/// </summary>
public sealed class DecodeGraphs(ICudaApi cuda) : IDisposable
{
    private readonly Dictionary<int, CudaGraphExec> _graphs = [];

    public int Captured => _graphs.Count;

    /// <summary>Replays bucket <paramref name="bucket"/>'s graph on <paramref name="stream"/>, capturing <paramref name="enqueue"/> first when it has none.</summary>
    public void Launch(int bucket, CudaStreamHandle stream, Action enqueue)
    {
        ArgumentNullException.ThrowIfNull(enqueue);
        if (!_graphs.TryGetValue(bucket, out var graph))
        {
            cuda.BeginCapture(stream);
            CudaGraph captured;
            try
            {
                enqueue();
            }
            finally
            {
                captured = cuda.EndCapture(stream);
            }

            try
            {
                graph = cuda.Instantiate(captured);
            }
            finally
            {
                cuda.Destroy(captured);
            }

            _graphs[bucket] = graph;
        }

        cuda.Launch(graph, stream);
    }

    public void Invalidate()
    {
        foreach (var graph in _graphs.Values)
        {
            cuda.Destroy(graph);
        }

        _graphs.Clear();
    }

    public void Dispose() => Invalidate();
}
