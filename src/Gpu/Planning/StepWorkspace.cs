using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Planning;

/// <summary>
/// The persistent device buffers of a step, planned once for the model and the step limits and allocated as one
/// block: the step inputs (<see cref="StepInputLayout"/>), the activations of the widest step (f32 residual stream
/// and projection outputs, bf16 product inputs), the logits rows, the attention partials, and each distinct RoPE's
/// inverse frequencies. Kernels and captured graphs address these fixed buffers; each step only rewrites them.
/// </summary>
public sealed class StepWorkspace : IDisposable
{
    private readonly ICudaApi _cuda;
    private readonly ArenaLayout _arena;
    private readonly Dictionary<RopeSpec, int> _ropeIndex;

    private StepWorkspace(ICudaApi cuda, ArenaLayout arena, DevicePointer block, StepInputLayout inputs, Dictionary<RopeSpec, int> ropeIndex, int partialTokens)
    {
        _cuda = cuda;
        _arena = arena;
        _ropeIndex = ropeIndex;
        Block = block;
        Inputs = inputs;
        PartialTokens = partialTokens;
    }

    public DevicePointer Block { get; }

    public StepInputLayout Inputs { get; }

    /// <summary>Tokens the attention partials hold at <see cref="AttentionPartitioning.BufferPartsPerToken"/> partitions each.</summary>
    public int PartialTokens { get; }

    public DevicePointer InputBlock => Region(StepRegions.Inputs);

    public DevicePointer Hidden => Region(StepRegions.Hidden);

    public DevicePointer Normed => Region(StepRegions.Normed);

    public DevicePointer Qkv => Region(StepRegions.Qkv);

    public DevicePointer Queries => Region(StepRegions.Queries);

    public DevicePointer Attention => Region(StepRegions.Attention);

    public DevicePointer Projected => Region(StepRegions.Projected);

    public DevicePointer GateUp => Region(StepRegions.GateUp);

    public DevicePointer Activated => Region(StepRegions.Activated);

    public DevicePointer Logits => Region(StepRegions.Logits);

    public DevicePointer PartialAcc => Region(StepRegions.PartialAcc);

    public DevicePointer PartialMaxSum => Region(StepRegions.PartialMaxSum);

    /// <summary>Address of the step input at int index <paramref name="intIndex"/> of <see cref="Inputs"/>.</summary>
    public DevicePointer Input(int intIndex) => InputBlock.Offset((long)intIndex * sizeof(int));

    /// <summary>Inverse frequencies of the RoPE <paramref name="rope"/>.</summary>
    public DevicePointer InverseFrequencies(RopeSpec rope) => Region(StepRegions.Rope(_ropeIndex[rope]));

    /// <summary>Device bytes the workspace of this model and these limits takes.</summary>
    public static long BytesFor(ModelConfig config, StepLimits limits, KvPoolLayout kv) => Plan(config, limits, kv, out _, out _).TotalBytes;

    /// <summary>Plans and allocates the workspace, and uploads the RoPE tables (synchronously: once, at start).</summary>
    public static StepWorkspace Allocate(ICudaApi cuda, ModelConfig config, StepLimits limits, KvPoolLayout kv)
    {
        ArgumentNullException.ThrowIfNull(cuda);
        var arena = Plan(config, limits, kv, out var inputs, out var ropeIndex);
        int s = limits.MaxSequences;
        var block = cuda.Allocate(arena.TotalBytes);
        var workspace = new StepWorkspace(cuda, arena, block, inputs, ropeIndex, s);
        try
        {
            foreach (var (rope, index) in ropeIndex)
            {
                workspace.UploadSynchronously(RotaryFrequencies.For(config.HeadDim, rope), workspace.Region(StepRegions.Rope(index)));
            }
        }
        catch
        {
            workspace.Dispose();
            throw;
        }

        return workspace;
    }

    private static ArenaLayout Plan(ModelConfig config, StepLimits limits, KvPoolLayout kv, out StepInputLayout inputs, out Dictionary<RopeSpec, int> ropeIndex)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(kv);
        inputs = new StepInputLayout(limits, kv.TypeCount, kv.BlockTokens);
        long t = limits.MaxTokens;
        int s = limits.MaxSequences;
        long hidden = config.HiddenSize;
        long qWidth = (long)config.NumHeads * config.HeadDim;
        long qkvWidth = qWidth + (2L * config.NumKvHeads * config.HeadDim);
        var arena = new ArenaLayout();
        arena.Add(StepRegions.Inputs, (long)inputs.TotalInts * sizeof(int));
        arena.Add(StepRegions.Hidden, t * hidden * sizeof(float));
        arena.Add(StepRegions.Normed, t * hidden * sizeof(ushort));
        arena.Add(StepRegions.Qkv, t * qkvWidth * sizeof(float));
        arena.Add(StepRegions.Queries, t * qWidth * sizeof(ushort));
        arena.Add(StepRegions.Attention, t * qWidth * sizeof(ushort));
        arena.Add(StepRegions.Projected, t * hidden * sizeof(float));
        arena.Add(StepRegions.GateUp, t * 2 * config.IntermediateSize * sizeof(float));
        arena.Add(StepRegions.Activated, t * config.IntermediateSize * sizeof(ushort));
        arena.Add(StepRegions.Logits, (long)s * config.VocabSize * sizeof(float));
        arena.Add(StepRegions.PartialAcc, (long)s * config.NumHeads * AttentionPartitioning.BufferPartsPerToken * config.HeadDim * sizeof(float));
        arena.Add(StepRegions.PartialMaxSum, (long)s * config.NumHeads * AttentionPartitioning.BufferPartsPerToken * 2 * sizeof(float));
        var ropes = Enumerable.Range(0, config.NumLayers).Select(config.RopeOf).Distinct().ToArray();
        ropeIndex = [];
        for (int i = 0; i < ropes.Length; i++)
        {
            ropeIndex[ropes[i]] = i;
            arena.Add(StepRegions.Rope(i), config.HeadDim / 2 * sizeof(float));
        }

        return arena;
    }

    public void Dispose() => _cuda.Free(Block);

    private DevicePointer Region(string name) => Block.Offset(_arena.Offset(name));

    private unsafe void UploadSynchronously(float[] values, DevicePointer target)
    {
        long bytes = values.LongLength * sizeof(float);
        var staging = _cuda.AllocatePinned(bytes);
        try
        {
            values.AsSpan().CopyTo(new Span<float>((void*)staging, values.Length));
            _cuda.CopyToDevice(target, staging, bytes, default);
            _cuda.Synchronize(default(CudaStreamHandle));
        }
        finally
        {
            _cuda.FreePinned(staging);
        }
    }
}
