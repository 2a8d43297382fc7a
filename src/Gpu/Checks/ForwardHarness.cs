using LlmQueue.Gpu.Blas;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Execution;
using LlmQueue.Gpu.Kernels;
using LlmQueue.Gpu.Planning;

namespace LlmQueue.Gpu.Checks;

/// <summary>
/// Drives <see cref="ForwardPass"/> the way the runner will: pages come from the engine's real KV pool (free pages
/// shuffled first, so block tables are not contiguous; sliding-window pages released as sequences grow), each step is
/// packed, copied to the device in one transfer, run, and its logits rows copied back. Decode steps can run through a
/// captured graph per bucket. Used by the tests on the fake driver and by the GPU check on the device, where the same
/// steps on both must give the same logits.
/// </summary>
public sealed class ForwardHarness : IDisposable
{
    private readonly ICudaApi _cuda;
    private readonly ModelConfig _config;
    private readonly JengaKvCache _pool;
    private readonly StepPacker _packer;
    private readonly StepWorkspace _workspace;
    private readonly DeviceWeights _weights;
    private readonly DevicePointer _kvArena;
    private readonly ForwardPass _forward;
    private readonly CudaStreamHandle _stream;
    private readonly nint _staging;
    private readonly nint _logits;
    private readonly Dictionary<int, KvSequence> _sequences = [];
    private readonly Dictionary<int, List<int>> _tokens = [];
    private readonly Dictionary<int, CudaGraphExec> _graphs = [];
    private (PackedStep Step, int Bucket)? _lastGraphed;

    public ForwardHarness(ICudaApi cuda, IBlasApi blas, KernelModule module, LlamaModel model, int blockTokens, int largePages, StepLimits limits, int shuffleSeed)
    {
        ArgumentNullException.ThrowIfNull(cuda);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(limits);
        _cuda = cuda;
        _config = model.Config;
        var layout = KvGeometry.LayoutFor(_config, blockTokens);
        var geometry = new KvGeometry(layout, _config.NumKvHeads, _config.HeadDim);
        _pool = new JengaKvCache(layout, largePages * layout.LargePageBytes, "forward-harness", enablePrefixCaching: false);
        ShuffleFreePages(shuffleSeed);
        _weights = WeightUploader.Upload(cuda, WeightUploadPlan.For(model.Weights));
        _kvArena = cuda.Allocate(geometry.AllocationBytes(largePages));
        _workspace = StepWorkspace.Allocate(cuda, _config, limits, layout);
        _packer = new StepPacker(_workspace.Inputs, layout, largePages, _config.VocabSize);
        _forward = new ForwardPass(blas, new KernelLauncher(cuda, module), _config, _weights, geometry, _kvArena, _workspace, cuda.Device.Multiprocessors);
        _stream = cuda.CreateStream();
        _staging = cuda.AllocatePinned((long)_workspace.Inputs.TotalInts * sizeof(int));
        _logits = cuda.AllocatePinned((long)limits.MaxSequences * _config.VocabSize * sizeof(float));
    }

    /// <summary>Runs one step; each entry appends tokens to a sequence. Returns logits rows keyed by sequence id.</summary>
    public Dictionary<int, float[]> Step(params (int Sequence, int[] Tokens, bool NeedsLogits)[] work) => Run(work, graphBucket: null);

    /// <summary>
    /// A decode step (one token per entry) replayed from the graph captured for its bucket (captured on first use).
    /// Graphs bake the step's padded shape; the inputs they read are rewritten before each replay.
    /// </summary>
    public Dictionary<int, float[]> DecodeWithGraph(GraphBuckets buckets, params (int Sequence, int Token)[] work)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        int bucket = buckets.BucketFor(work.Length) ?? throw new ArgumentException($"{work.Length} sequences exceed the largest graph bucket ({buckets.Largest}).", nameof(work));
        return Run([.. work.Select(w => (w.Sequence, new[] { w.Token }, true))], bucket);
    }

    /// <summary>
    /// Device milliseconds of the last graphed decode step's forward pass, launched directly and replayed from its graph
    /// (medians of <paramref name="repeats"/>). Its inputs are still on the device; rerunning rewrites the same K/V.
    /// </summary>
    public (double DirectMs, double GraphMs) TimeLastGraphedStep(int repeats)
    {
        var (step, bucket) = _lastGraphed ?? throw new InvalidOperationException("No decode step has been replayed from a graph yet.");
        double direct = DeviceMeasurements.Median(_cuda, () => _forward.Enqueue(_stream, step), repeats, _stream);
        double graph = DeviceMeasurements.Median(_cuda, () => _cuda.Launch(_graphs[bucket], _stream), repeats, _stream);
        return (direct, graph);
    }

    public void Dispose()
    {
        foreach (var graph in _graphs.Values)
        {
            _cuda.Destroy(graph);
        }

        _cuda.FreePinned(_logits);
        _cuda.FreePinned(_staging);
        _cuda.DestroyStream(_stream);
        _workspace.Dispose();
        _cuda.Free(_kvArena);
        _weights.Dispose();
    }

    private unsafe Dictionary<int, float[]> Run((int Sequence, int[] Tokens, bool NeedsLogits)[] work, int? graphBucket)
    {
        var batch = new ForwardBatch();
        foreach (var (id, tokens, needsLogits) in work)
        {
            var sequence = _sequences.TryGetValue(id, out var s) ? s : _sequences[id] = _pool.CreateSequence();
            int start = sequence.ComputedTokens;
            if (!_pool.TryAllocate(sequence, tokens.Length))
            {
                throw new InvalidOperationException($"The KV pool has no room for {tokens.Length} more tokens of sequence {id}.");
            }

            var tables = Enumerable.Range(0, _pool.Layout.TypeCount).SelectMany(t => sequence.BlockTable(t).ToArray()).ToArray();
            batch.Sequences.Add(new SequenceChunk(tokens, start, tables, needsLogits));
        }

        var staging = new Span<int>((void*)_staging, _workspace.Inputs.TotalInts);
        var step = graphBucket is int bucket ? _packer.Pack(batch, staging, bucket, bucket) : _packer.Pack(batch, staging);
        _cuda.CopyToDevice(_workspace.InputBlock, _staging, (long)step.CopyInts * sizeof(int), _stream);
        if (graphBucket is int size)
        {
            _cuda.Launch(GraphFor(size, step), _stream);
            _lastGraphed = (step, size);
        }
        else
        {
            _forward.Enqueue(_stream, step);
        }

        int vocab = _config.VocabSize;
        if (step.LogitRows > 0)
        {
            _cuda.CopyToHost(_logits, _workspace.Logits, (long)step.LogitRows * vocab * sizeof(float), _stream);
        }

        _cuda.Synchronize(_stream);
        var result = new Dictionary<int, float[]>();
        int row = 0;
        foreach (var (id, tokens, needsLogits) in work)
        {
            var all = _tokens.TryGetValue(id, out var list) ? list : _tokens[id] = [];
            all.AddRange(tokens);
            _pool.Commit(_sequences[id], all.ToArray(), all.Count);
            if (needsLogits)
            {
                result[id] = new ReadOnlySpan<float>((float*)_logits + ((long)row++ * vocab), vocab).ToArray();
            }
        }

        return result;
    }

    private CudaGraphExec GraphFor(int bucket, PackedStep step)
    {
        if (!_graphs.TryGetValue(bucket, out var graph))
        {
            _cuda.BeginCapture(_stream);
            _forward.Enqueue(_stream, step);
            var captured = _cuda.EndCapture(_stream);
            graph = _graphs[bucket] = _cuda.Instantiate(captured);
            _cuda.Destroy(captured);
        }

        return graph;
    }

    /// <summary>Takes every large page with one-block sequences, then frees them in random order.</summary>
    private void ShuffleFreePages(int seed)
    {
        var fillers = new List<KvSequence>();
        while (true)
        {
            var filler = _pool.CreateSequence();
            if (!_pool.TryAllocate(filler, _pool.Layout.BlockTokens))
            {
                break;
            }

            fillers.Add(filler);
        }

        var order = fillers.ToArray();
        new Random(seed).Shuffle(order);
        foreach (var filler in order)
        {
            _pool.Free(filler);
        }
    }
}
