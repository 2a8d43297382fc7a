using LlmQueue.Gpu.Planning;

namespace LlmQueue.Gpu.Tests.Planning;

public class StepPackerTests
{
    // Layer 0 full, layer 1 sliding (window 8), 4-token blocks: two page types with their own tables.
    private static readonly KvPoolLayout Layout = KvPoolLayout.FromLayers([new KvLayerSpec(1, 8, 2), new KvLayerSpec(1, 8, 2, 8)], 4);
    private static readonly StepLimits Limits = new(MaxTokens: 16, MaxSequences: 4, MaxModelLength: 40);

    [Fact]
    public void Tokens_get_positions_sequence_rows_and_a_slot_per_layer_type()
    {
        var inputs = new StepInputLayout(Limits, 2, 4);
        var packer = new StepPacker(inputs, Layout, largePages: 16, vocab: 100);
        var batch = new ForwardBatch();
        // Sequence 0: prefill of 6 tokens; sequence 1: one decode token at position 13, its sliding table released before the window.
        batch.Sequences.Add(new SequenceChunk(new[] { 5, 6, 7, 8, 9, 10 }, 0, Tables([3, 1], [2, 0]), true));
        batch.Sequences.Add(new SequenceChunk(new[] { 42 }, 13, Tables([7, 4, 5, 6], [-1, 3, 9, 10]), true));
        var staging = new int[inputs.TotalInts];
        var step = packer.Pack(batch, staging);

        Assert.Equal(new PackedStep(7, 7, 2, 2, 2, 2, inputs.UsedInts(2)), step);
        Assert.Equal([5, 6, 7, 8, 9, 10, 42], staging.AsSpan(inputs.Ids, 7).ToArray());
        Assert.Equal([0, 1, 2, 3, 4, 5, 13], staging.AsSpan(inputs.Positions, 7).ToArray());
        Assert.Equal([0, 0, 0, 0, 0, 0, 1], staging.AsSpan(inputs.TokenSeq, 7).ToArray());
        // slot = page * 4 + position % 4, from each type's own table.
        Assert.Equal([12, 13, 14, 15, 4, 5, 25], staging.AsSpan(inputs.SlotMappingOf(0), 7).ToArray());
        Assert.Equal([8, 9, 10, 11, 0, 1, 41], staging.AsSpan(inputs.SlotMappingOf(1), 7).ToArray());
        Assert.Equal([5, 6], staging.AsSpan(inputs.LogitRows, 2).ToArray());
        Assert.Equal([7, 4, 5, 6, -1], staging.AsSpan(inputs.BlockTableOf(0) + inputs.TableStride, 5).ToArray());
        Assert.Equal([-1, 3, 9, 10, -1], staging.AsSpan(inputs.BlockTableOf(1) + inputs.TableStride, 5).ToArray());
    }

    [Fact]
    public void Padding_rows_are_inert()
    {
        var inputs = new StepInputLayout(Limits, 2, 4);
        var packer = new StepPacker(inputs, Layout, largePages: 8, vocab: 100);
        var batch = new ForwardBatch();
        batch.Sequences.Add(new SequenceChunk(new[] { 1 }, 2, Tables([0], [1]), true));
        var staging = Enumerable.Repeat(77, inputs.TotalInts).ToArray();
        var step = packer.Pack(batch, staging, padTokensTo: 4, padSequencesTo: 4);

        Assert.Equal((1, 4, 1, 4, 1, 4), (step.Tokens, step.PaddedTokens, step.Sequences, step.PaddedSequences, step.LogitRows, step.PaddedLogitRows));
        Assert.Equal([-1, -1, -1], staging.AsSpan(inputs.Positions + 1, 3).ToArray()); // attention skips them
        Assert.Equal([-1, -1, -1], staging.AsSpan(inputs.SlotMappingOf(0) + 1, 3).ToArray()); // the KV store skips them
        Assert.Equal([-1, -1, -1], staging.AsSpan(inputs.SlotMappingOf(1) + 1, 3).ToArray());
        Assert.Equal([0, 0, 0], staging.AsSpan(inputs.LogitRows + 1, 3).ToArray());
        Assert.All(staging.AsSpan(inputs.BlockTables + inputs.TableStride, 3 * inputs.TableStride).ToArray(), v => Assert.Equal(-1, v));
        Assert.Equal(inputs.UsedInts(4), step.CopyInts);
    }

    [Theory]
    [InlineData("token 100", new[] { 100 }, 0, new[] { 0 }, new[] { 0 })]
    [InlineData("page 16", new[] { 1 }, 0, new[] { 16 }, new[] { 0 })]
    [InlineData("page -1", new[] { 1, 2 }, 3, new[] { 0, 1 }, new[] { -1, 1 })]
    [InlineData("need 2", new[] { 1, 2 }, 3, new[] { 0 }, new[] { 1 })]
    [InlineData("positions", new[] { 1 }, 40, new[] { 0 }, new[] { 1 })]
    public void Inputs_a_kernel_would_misuse_are_refused_naming_the_problem(string problem, int[] tokens, int start, int[] fullTable, int[] slidingTable)
    {
        var inputs = new StepInputLayout(Limits, 2, 4);
        var packer = new StepPacker(inputs, Layout, largePages: 8, vocab: 100);
        var batch = new ForwardBatch();
        batch.Sequences.Add(new SequenceChunk(tokens, start, Tables(fullTable, slidingTable), true));
        var error = Assert.Throws<ArgumentException>(() => packer.Pack(batch, new int[inputs.TotalInts]));
        Assert.Contains(problem.Split(' ')[^1], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_step_over_the_buffers_is_refused()
    {
        var inputs = new StepInputLayout(Limits, 2, 4);
        var packer = new StepPacker(inputs, Layout, largePages: 8, vocab: 100);
        var batch = new ForwardBatch();
        batch.Sequences.Add(new SequenceChunk(new int[17], 0, Tables([0, 1, 2, 3, 4], [0, 1, 2, 3, 4]), true));
        Assert.Throws<ArgumentException>(() => packer.Pack(batch, new int[inputs.TotalInts]));
    }

    [Fact]
    public void Regions_of_the_input_block_do_not_overlap_and_tables_come_last()
    {
        var inputs = new StepInputLayout(new StepLimits(100, 10, 1000), 3, 16);
        int[] starts = [inputs.Ids, inputs.Positions, inputs.TokenSeq, inputs.SlotMapping, inputs.LogitRows, inputs.BlockTables];
        int[] sizes = [100, 100, 100, 300, 10, 10 * 3 * 63];
        for (int i = 1; i < starts.Length; i++)
        {
            Assert.True(starts[i] >= starts[i - 1] + sizes[i - 1]);
            Assert.Equal(0, starts[i] % 64);
        }

        Assert.InRange(inputs.TotalInts - inputs.UsedInts(10), 0, 63);
        Assert.Equal(63, inputs.MaxBlocks);
    }

    private static int[] Tables(int[] full, int[] sliding)
    {
        int blocks = Math.Max(full.Length, sliding.Length);
        return [.. full, .. Enumerable.Repeat(-1, blocks - full.Length), .. sliding, .. Enumerable.Repeat(-1, blocks - sliding.Length)];
    }
}
