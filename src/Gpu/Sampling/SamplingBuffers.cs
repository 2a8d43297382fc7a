using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Planning;

namespace LlmQueue.Gpu.Sampling;

/// <summary>
/// The sampler's persistent buffers: on the device the row parameters, the weights scratch, the sampled ids and
/// the logprob records (kernels and captured graphs address these fixed buffers); pinned on the host their staging
/// (parameters in, ids and records back). Penalty entries live in a buffer of their own that grows when a step needs
/// more (<see cref="EnsurePenaltyCapacity"/> says when its address changed).
/// </summary>
public sealed class SamplingBuffers : IDisposable
{
    private const long InitialPenaltyEntries = 4096;

    private readonly ICudaApi _cuda;
    private readonly ArenaLayout _arena = new();
    private readonly ArenaLayout _host = new();

    public SamplingBuffers(ICudaApi cuda, int maxRows, int vocab)
    {
        ArgumentNullException.ThrowIfNull(cuda);
        _cuda = cuda;
        MaxRows = maxRows;
        _arena.Add(nameof(RowParams), (long)maxRows * SamplingRowLayout.RowInts * sizeof(int));
        _arena.Add(nameof(Tokens), (long)maxRows * sizeof(int));
        _arena.Add(nameof(Records), (long)maxRows * SamplingRowLayout.RecordInts * sizeof(int));
        _arena.Add(nameof(Weights), (long)maxRows * vocab * sizeof(float));
        _host.Add(nameof(RowParams), (long)maxRows * SamplingRowLayout.RowInts * sizeof(int));
        _host.Add(nameof(Tokens), (long)maxRows * sizeof(int));
        _host.Add(nameof(Records), (long)maxRows * SamplingRowLayout.RecordInts * sizeof(int));
        Block = cuda.Allocate(_arena.TotalBytes);
        try
        {
            HostBlock = cuda.AllocatePinned(_host.TotalBytes);
            ResizePenalties(InitialPenaltyEntries);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int MaxRows { get; }

    public DevicePointer Block { get; }

    public nint HostBlock { get; }

    public DevicePointer RowParams => Block.Offset(_arena.Offset(nameof(RowParams)));

    public DevicePointer Tokens => Block.Offset(_arena.Offset(nameof(Tokens)));

    public DevicePointer Records => Block.Offset(_arena.Offset(nameof(Records)));

    public DevicePointer Weights => Block.Offset(_arena.Offset(nameof(Weights)));

    public DevicePointer Penalties { get; private set; }

    public nint PenaltyStaging { get; private set; }

    public long PenaltyCapacity { get; private set; }

    public nint HostRowParams => HostBlock + (nint)_host.Offset(nameof(RowParams));

    public nint HostTokens => HostBlock + (nint)_host.Offset(nameof(Tokens));

    public nint HostRecords => HostBlock + (nint)_host.Offset(nameof(Records));

    /// <summary>Device bytes for <paramref name="maxRows"/> rows of <paramref name="vocab"/> (the initial penalty buffer included).</summary>
    public static long DeviceBytesFor(int maxRows, int vocab) =>
        ((long)maxRows * (SamplingRowLayout.RowInts + 1 + SamplingRowLayout.RecordInts) * sizeof(int)) + ((long)maxRows * vocab * sizeof(float))
        + (InitialPenaltyEntries * 2 * sizeof(int)) + (4 * ArenaLayout.Alignment);

    /// <summary>Grows the penalty buffers to hold <paramref name="entries"/>; true when their addresses changed.</summary>
    public bool EnsurePenaltyCapacity(long entries)
    {
        if (entries <= PenaltyCapacity)
        {
            return false;
        }

        ResizePenalties(Math.Max(entries, 2 * PenaltyCapacity));
        return true;
    }

    public void Dispose()
    {
        FreePenalties();
        if (HostBlock != 0)
        {
            _cuda.FreePinned(HostBlock);
        }

        _cuda.Free(Block);
    }

    private void ResizePenalties(long entries)
    {
        FreePenalties();
        Penalties = _cuda.Allocate(entries * 2 * sizeof(int));
        PenaltyStaging = _cuda.AllocatePinned(entries * 2 * sizeof(int));
        PenaltyCapacity = entries;
    }

    private void FreePenalties()
    {
        if (!Penalties.IsNull)
        {
            _cuda.Free(Penalties);
            Penalties = DevicePointer.Null;
        }

        if (PenaltyStaging != 0)
        {
            _cuda.FreePinned(PenaltyStaging);
            PenaltyStaging = 0;
        }

        PenaltyCapacity = 0;
    }
}
