using LlmQueue.Engine;
using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;
using LlmQueue.Gpu.Planning;
using LlmQueue.Gpu.Sampling;

namespace LlmQueue.Gpu.Execution;

/// <summary>
/// The model runner on a CUDA device (or the fake driver): weights uploaded once in bf16, one KV allocation in bf16
/// cut by the engine's <see cref="KvPoolLayout"/>, and per step one stream of work: the packed inputs and sampling
/// rows copied in, the forward pass, penalties and sampling on the device, the sampled ids (and the logprobs rows
/// asked for) copied back into pinned memory. <see cref="Launch"/> queues all of it and returns; <see cref="Collect"/>
/// is the step's single host synchronisation. Decode steps replay a CUDA graph per batch bucket (padded up);
/// prefill and mixed steps launch directly. Not thread-safe: one engine loop drives it.
/// </summary>
public sealed class CudaModelRunner : IModelRunner
{
    private readonly IDisposable? _ownedDevice;
    private readonly ICudaApi _cuda;
    private readonly KernelLauncher _kernels;
    private readonly DeviceWeights? _weights;
    private readonly StepWorkspace? _workspace;
    private readonly DevicePointer _kvArena;
    private readonly SamplingBuffers? _sampling;
    private readonly SamplingPacker _samplingPacker;
    private readonly StepPacker _packer;
    private readonly ForwardPass _forward;
    private readonly GraphBuckets _buckets;
    private readonly DecodeGraphs? _graphs;
    private readonly CudaStreamHandle _stream;
    private readonly CudaEvent _done;
    private readonly nint _inputStaging;
    private readonly nint _pageStaging;
    private readonly bool _useGraphs;
    private InFlight? _inFlight;
    private bool _disposed;

    /// <param name="device">The driver, products and kernels to run on.</param>
    /// <param name="model">Loaded checkpoint; its weights are copied to the device here.</param>
    /// <param name="ownedDevice">Disposed with the runner (the device it opened for itself), or null.</param>
    public CudaModelRunner(IGpuBackend device, LlamaModel model, CudaRunnerSettings settings, IDisposable? ownedDevice = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        _ownedDevice = ownedDevice;
        _cuda = device.Cuda;
        _useGraphs = settings.UseGraphs;
        Config = model.Config;
        _kernels = new KernelLauncher(_cuda, device.Kernels);
        int maxSequences = Math.Min(settings.MaxSequences, settings.MaxBatchTokens);
        try
        {
            settings.Validate();
            KvLayout = KvGeometry.LayoutFor(Config, settings.BlockTokens);
            var geometry = new KvGeometry(KvLayout, Config.NumKvHeads, Config.HeadDim);
            _samplingPacker = new SamplingPacker(Config.VocabSize);
            _weights = WeightUploader.Upload(_cuda, WeightUploadPlan.For(model.Weights));
            KvLargePages = settings.KvLargePages ?? LargePagesFromMemory(settings, maxSequences);
            long capacityTokens = KvLayout.MaxSequenceTokens((long)KvLargePages * KvLayout.LargePageBytes);
            var limits = new StepLimits(settings.MaxBatchTokens, maxSequences, (int)Math.Max(1, Math.Min(Config.MaxPositionEmbeddings, capacityTokens)));
            _workspace = StepWorkspace.Allocate(_cuda, Config, limits, KvLayout);
            _kvArena = _cuda.Allocate(geometry.AllocationBytes(KvLargePages));
            _sampling = new SamplingBuffers(_cuda, maxSequences, Config.VocabSize);
            _packer = new StepPacker(_workspace.Inputs, KvLayout, KvLargePages, Config.VocabSize);
            _forward = new ForwardPass(device.Blas, _kernels, Config, _weights, geometry, _kvArena, _workspace, _cuda.Device.Multiprocessors);
            _buckets = new GraphBuckets(maxSequences);
            _graphs = new DecodeGraphs(_cuda);
            _stream = _cuda.CreateStream();
            _done = _cuda.CreateEvent();
            _inputStaging = _cuda.AllocatePinned((long)_workspace.Inputs.TotalInts * sizeof(int));
            _pageStaging = _cuda.AllocatePinned(Enumerable.Range(0, KvLayout.TypeCount).Max(KvLayout.SmallPageBytes));
            Limits = limits;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public ModelConfig Config { get; }

    public KvPoolLayout KvLayout { get; }

    public int KvLargePages { get; }

    /// <summary>bf16 pages, K then V per layer, heads major: the same cut as the CPU's, another dtype.</summary>
    public KvPageFormat KvPageFormat { get; } = new(TensorDType.BF16, KvPageFormat.HeadMajorLayout);

    /// <summary>What the persistent buffers were sized for.</summary>
    public StepLimits Limits { get; }

    /// <summary>Decode buckets captured as graphs so far.</summary>
    public int GraphsCaptured => _graphs?.Captured ?? 0;

    /// <summary>Whether the last launched step replayed a graph.</summary>
    public bool LastStepReplayedGraph { get; private set; }

    public void ReadKvPage(int type, int page, Span<byte> destination)
    {
        long bytes = CheckPage(type, page, destination.Length);
        _cuda.CopyToHost(_pageStaging, PageAddress(type, page), bytes, _stream);
        _cuda.Synchronize(_stream);
        unsafe
        {
            new ReadOnlySpan<byte>((void*)_pageStaging, (int)bytes).CopyTo(destination);
        }
    }

    public void WriteKvPage(int type, int page, ReadOnlySpan<byte> source)
    {
        long bytes = CheckPage(type, page, source.Length);
        unsafe
        {
            source.CopyTo(new Span<byte>((void*)_pageStaging, (int)bytes));
        }

        _cuda.CopyToDevice(PageAddress(type, page), _pageStaging, bytes, _stream);
        _cuda.Synchronize(_stream);
    }

    public void Launch(ForwardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_inFlight is not null)
        {
            throw new InvalidOperationException("A step is already in flight: Collect it before the next Launch.");
        }

        var shape = BatchShape.Validate(batch, Config, KvLayout, KvLargePages);
        batch.Outputs.Reset(shape.LogitRows);
        LastStepReplayedGraph = false;
        if (shape.Tokens == 0)
        {
            _inFlight = new InFlight(batch, 0, false);
            return;
        }

        int? bucket = DecodeBucket(batch);
        var staging = StagingInts();
        var step = bucket is int size ? _packer.Pack(batch, staging, size, size) : _packer.Pack(batch, staging);
        bool wantsLogprobs = batch.Sampling.Any(r => r.Parameters.WantsLogprobs);
        int penaltyEntries = PackSampling(batch.Sampling, step.PaddedLogitRows);
        Enqueue(step, penaltyEntries, bucket);
        if (step.LogitRows > 0)
        {
            _cuda.CopyToHost(_sampling!.HostTokens, _sampling.Tokens, (long)step.LogitRows * sizeof(int), _stream);
            if (wantsLogprobs)
            {
                _cuda.CopyToHost(_sampling.HostRecords, _sampling.Records, (long)step.LogitRows * SamplingRowLayout.RecordInts * sizeof(int), _stream);
            }
        }

        _cuda.Record(_done, _stream);
        _inFlight = new InFlight(batch, step.LogitRows, wantsLogprobs);
    }

    public void Collect(ForwardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_inFlight is not { } step || !ReferenceEquals(step.Batch, batch))
        {
            throw new InvalidOperationException("Collect needs the batch of the step in flight.");
        }

        _inFlight = null;
        if (step.Rows == 0)
        {
            return;
        }

        _cuda.Synchronize(_done);
        unsafe
        {
            var tokens = new ReadOnlySpan<int>((void*)_sampling!.HostTokens, step.Rows);
            var records = step.WantsLogprobs ? new ReadOnlySpan<int>((void*)_sampling.HostRecords, step.Rows * SamplingRowLayout.RecordInts) : default;
            SamplingPacker.Unpack(tokens, records, batch.Sampling, batch.Outputs);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _inFlight = null;
        try
        {
            if (_stream != default)
            {
                _cuda.Synchronize(_stream);
            }
        }
        finally
        {
            _graphs?.Dispose();
            FreePinned(_pageStaging);
            FreePinned(_inputStaging);
            if (_done != default)
            {
                _cuda.DestroyEvent(_done);
            }

            if (_stream != default)
            {
                _cuda.DestroyStream(_stream);
            }

            _sampling?.Dispose();
            if (!_kvArena.IsNull)
            {
                _cuda.Free(_kvArena);
            }

            _workspace?.Dispose();
            _weights?.Dispose();
            _ownedDevice?.Dispose();
        }
    }

    /// <summary>Large pages the KV memory gets: the runner's share of the device, less what is allocated and what the step buffers will take.</summary>
    private int LargePagesFromMemory(CudaRunnerSettings settings, int maxSequences)
    {
        var (free, total) = _cuda.MemoryInfo();
        var widest = new StepLimits(settings.MaxBatchTokens, maxSequences, Math.Max(1, Config.MaxPositionEmbeddings));
        long reserved = StepWorkspace.BytesFor(Config, widest, KvLayout) + SamplingBuffers.DeviceBytesFor(maxSequences, Config.VocabSize);
        long budget = (long)(total * settings.MemoryUtilization) - (total - free) - reserved;
        long pages = budget / KvLayout.LargePageBytes;
        if (pages < 1)
        {
            throw new EngineStartException(
                EngineStartFailure.Configuration,
                $"Engine:GpuMemoryUtilization {settings.MemoryUtilization:0.##} of {total >> 20} MiB leaves no room for the KV cache on {_cuda.Device.Name} " +
                $"({(total - free) >> 20} MiB in use after the weights, {reserved >> 20} MiB for step buffers, a KV page is {KvLayout.LargePageBytes >> 10} KiB).");
        }

        return (int)Math.Min(pages, int.MaxValue / 64);
    }

    /// <summary>The graph bucket of a decode-only step (one token per sequence, every one sampled), or null.</summary>
    private int? DecodeBucket(ForwardBatch batch)
    {
        if (!_useGraphs || batch.Sequences.Any(s => s.Tokens.Length != 1 || !s.NeedsLogits))
        {
            return null;
        }

        return _buckets.BucketFor(batch.Sequences.Count);
    }

    private int PackSampling(IReadOnlyList<SamplingRow> rows, int paddedRows)
    {
        var sampling = _sampling!;
        if (sampling.EnsurePenaltyCapacity(SamplingPacker.PenaltyEntriesBound(rows)))
        {
            // The penalty buffer moved: graphs captured with its old address are stale.
            _graphs!.Invalidate();
        }

        unsafe
        {
            var words = new Span<int>((void*)sampling.HostRowParams, paddedRows * SamplingRowLayout.RowInts);
            var penalties = new Span<int>((void*)sampling.PenaltyStaging, checked((int)(sampling.PenaltyCapacity * 2)));
            return _samplingPacker.Pack(rows, paddedRows, words, penalties);
        }
    }

    private void Enqueue(PackedStep step, int penaltyEntries, int? bucket)
    {
        var sampling = _sampling!;
        _cuda.CopyToDevice(_workspace!.InputBlock, _inputStaging, (long)step.CopyInts * sizeof(int), _stream);
        if (step.PaddedLogitRows > 0)
        {
            _cuda.CopyToDevice(sampling.RowParams, sampling.HostRowParams, (long)step.PaddedLogitRows * SamplingRowLayout.RowInts * sizeof(int), _stream);
        }

        if (penaltyEntries > 0)
        {
            _cuda.CopyToDevice(sampling.Penalties, sampling.PenaltyStaging, (long)penaltyEntries * 2 * sizeof(int), _stream);
        }

        if (bucket is int size)
        {
            _graphs!.Launch(size, _stream, () => EnqueueKernels(step));
            LastStepReplayedGraph = true;
        }
        else
        {
            EnqueueKernels(step);
        }
    }

    /// <summary>The forward pass, then penalties and sampling of the (padded) logits rows: no host synchronisation.</summary>
    private void EnqueueKernels(PackedStep step)
    {
        _forward.Enqueue(_stream, step);
        int rows = step.PaddedLogitRows;
        var sampling = _sampling!;
        int vocab = Config.VocabSize;
        _kernels.ApplyPenalties(_stream, new ApplyPenaltiesCall(_workspace!.Logits, sampling.RowParams, sampling.Penalties, rows, vocab));
        _kernels.SampleRows(_stream, new SampleRowsCall(_workspace.Logits, sampling.Weights, sampling.RowParams, sampling.Tokens, sampling.Records, rows, vocab));
    }

    private unsafe Span<int> StagingInts() => new((void*)_inputStaging, _workspace!.Inputs.TotalInts);

    private long CheckPage(int type, int page, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_inFlight is not null)
        {
            throw new InvalidOperationException("KV pages are read and written between steps, not while one is in flight.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(type);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(type, KvLayout.TypeCount);
        ArgumentOutOfRangeException.ThrowIfNegative(page);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(page, KvLargePages * KvLayout.SmallPagesPerLargePage(type));
        long bytes = KvLayout.SmallPageBytes(type);
        if (length != bytes)
        {
            throw new ArgumentException($"KV page of type {type} has {bytes} bytes; got {length}.", nameof(length));
        }

        return bytes;
    }

    private DevicePointer PageAddress(int type, int page) => _kvArena.Offset((long)page * KvLayout.SmallPageBytes(type));

    private void FreePinned(nint host)
    {
        if (host != 0)
        {
            _cuda.FreePinned(host);
        }
    }

    private sealed record InFlight(ForwardBatch Batch, int Rows, bool WantsLogprobs);
}
