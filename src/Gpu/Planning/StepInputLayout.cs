namespace LlmQueue.Gpu.Planning;

/// <summary>
/// The per-step inputs as one block of int32s, the same on the host (pinned staging) and on the device (a
/// persistent buffer kernels and captured graphs read), so a step's inputs go over in one copy:
/// ids, positions, token_seq [MaxTokens]; slot_mapping [types][MaxTokens]; logit_rows [MaxSequences]; then block
/// tables [MaxSequences][types][MaxBlocks] last, so a step of S sequences copies only the prefix up to row S.
/// Row s of type t's table starts at BlockTables + (s x types + t) x MaxBlocks.
/// </summary>
public sealed class StepInputLayout
{
    private const int AlignInts = 64;

    public StepInputLayout(StepLimits limits, int types, int blockTokens)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(types);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockTokens);
        Limits = limits;
        Types = types;
        BlockTokens = blockTokens;
        MaxBlocks = limits.MaxBlocks(blockTokens);
        int next = 0;
        int Take(int count)
        {
            int at = next;
            next = checked(at + ((count + AlignInts - 1) / AlignInts * AlignInts));
            return at;
        }

        Ids = Take(limits.MaxTokens);
        Positions = Take(limits.MaxTokens);
        TokenSeq = Take(limits.MaxTokens);
        SlotMapping = Take(types * limits.MaxTokens);
        LogitRows = Take(limits.MaxSequences);
        BlockTables = Take(checked(limits.MaxSequences * types * MaxBlocks));
        TotalInts = next;
    }

    public StepLimits Limits { get; }

    public int Types { get; }

    public int BlockTokens { get; }

    public int MaxBlocks { get; }

    public int Ids { get; }

    public int Positions { get; }

    public int TokenSeq { get; }

    public int SlotMapping { get; }

    public int LogitRows { get; }

    public int BlockTables { get; }

    public int TotalInts { get; }

    /// <summary>Distance in ints between one sequence's table row and the next (the kernels' table_stride).</summary>
    public int TableStride => Types * MaxBlocks;

    /// <summary>Start of type <paramref name="type"/>'s slot mapping.</summary>
    public int SlotMappingOf(int type) => SlotMapping + (type * Limits.MaxTokens);

    /// <summary>Start of type <paramref name="type"/>'s table in sequence row 0.</summary>
    public int BlockTableOf(int type) => BlockTables + (type * MaxBlocks);

    /// <summary>Ints a step of <paramref name="sequences"/> (padded) rows must copy.</summary>
    public int UsedInts(int sequences) => BlockTables + (sequences * TableStride);
}
