namespace LlmQueue.Gpu.Planning;

/// <summary>
/// Lays one engine step out as <see cref="StepInputLayout"/> says: token ids, positions, each token's sequence row,
/// per-type slot mapping (page x blockTokens + slot, from the chunk's block table), the token index of each logits
/// row, and the block tables. Checks everything a kernel would otherwise turn into a stray device write or read: ids
/// inside the vocabulary, positions inside the model length, every page a token writes or attends to inside the pool
/// (a sliding type's released blocks before its window may be -1; no kernel reads them). Padding rows (for a graph
/// bucket) are inert: position -1 makes attention skip the token, slot -1 makes the KV store skip it.
/// </summary>
public sealed class StepPacker
{
    private readonly StepInputLayout _layout;
    private readonly KvPoolLayout _kv;
    private readonly int[] _pagesOfType;
    private readonly int _vocab;

    public StepPacker(StepInputLayout layout, KvPoolLayout kv, int largePages, int vocab)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(kv);
        if (kv.TypeCount != layout.Types || kv.BlockTokens != layout.BlockTokens)
        {
            throw new ArgumentException($"Step layout ({layout.Types} types, {layout.BlockTokens}-token blocks) does not match the KV layout ({kv.TypeCount}, {kv.BlockTokens}).", nameof(kv));
        }

        _layout = layout;
        _kv = kv;
        _pagesOfType = [.. Enumerable.Range(0, kv.TypeCount).Select(t => checked(largePages * kv.SmallPagesPerLargePage(t)))];
        _vocab = vocab;
    }

    /// <summary>
    /// Writes <paramref name="batch"/> into <paramref name="staging"/> (at least <see cref="StepInputLayout.TotalInts"/>),
    /// padding tokens to <paramref name="padTokensTo"/> and sequences and logit rows to <paramref name="padSequencesTo"/>
    /// (0: no padding). Throws <see cref="ArgumentException"/> naming the first bad input.
    /// </summary>
    public PackedStep Pack(ForwardBatch batch, Span<int> staging, int padTokensTo = 0, int padSequencesTo = 0)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (staging.Length < _layout.TotalInts)
        {
            throw new ArgumentException($"Staging has {staging.Length} ints; the step layout needs {_layout.TotalInts}.", nameof(staging));
        }

        var limits = _layout.Limits;
        int sequences = batch.Sequences.Count;
        int tokens = batch.TotalTokens;
        int paddedTokens = Math.Max(tokens, padTokensTo);
        int paddedSequences = Math.Max(sequences, padSequencesTo);
        if (paddedTokens > limits.MaxTokens || paddedSequences > limits.MaxSequences)
        {
            throw new ArgumentException($"The step has {paddedTokens} tokens in {paddedSequences} sequences (padded); the buffers hold {limits.MaxTokens} and {limits.MaxSequences}.", nameof(batch));
        }

        int t = 0;
        int logitRows = 0;
        for (int s = 0; s < sequences; s++)
        {
            var chunk = batch.Sequences[s];
            Validate(chunk, s);
            WriteTables(chunk, s, staging);
            var ids = chunk.Tokens.Span;
            for (int i = 0; i < ids.Length; i++, t++)
            {
                int position = chunk.StartPosition + i;
                staging[_layout.Ids + t] = ids[i];
                staging[_layout.Positions + t] = position;
                staging[_layout.TokenSeq + t] = s;
                for (int type = 0; type < _layout.Types; type++)
                {
                    int page = chunk.BlockTable(type, _layout.Types)[position / _layout.BlockTokens];
                    staging[_layout.SlotMappingOf(type) + t] = (page * _layout.BlockTokens) + (position % _layout.BlockTokens);
                }
            }

            if (chunk.NeedsLogits)
            {
                staging[_layout.LogitRows + logitRows++] = t - 1;
            }
        }

        for (; t < paddedTokens; t++)
        {
            staging[_layout.Ids + t] = 0;
            staging[_layout.Positions + t] = -1;
            staging[_layout.TokenSeq + t] = 0;
            for (int type = 0; type < _layout.Types; type++)
            {
                staging[_layout.SlotMappingOf(type) + t] = -1;
            }
        }

        int paddedLogitRows = Math.Max(logitRows, padSequencesTo);
        staging.Slice(_layout.LogitRows + logitRows, paddedLogitRows - logitRows).Clear();
        staging.Slice(_layout.BlockTables + (sequences * _layout.TableStride), (paddedSequences - sequences) * _layout.TableStride).Fill(-1);
        return new PackedStep(tokens, paddedTokens, sequences, paddedSequences, logitRows, paddedLogitRows, _layout.UsedInts(paddedSequences));
    }

    private void WriteTables(SequenceChunk chunk, int row, Span<int> staging)
    {
        for (int type = 0; type < _layout.Types; type++)
        {
            var table = chunk.BlockTable(type, _layout.Types);
            var target = staging.Slice(_layout.BlockTableOf(type) + (row * _layout.TableStride), _layout.MaxBlocks);
            table.CopyTo(target);
            target[table.Length..].Fill(-1);
        }
    }

    private void Validate(SequenceChunk chunk, int index)
    {
        int end = chunk.StartPosition + chunk.Tokens.Length;
        if (chunk.StartPosition < 0 || end > _layout.Limits.MaxModelLength)
        {
            throw new ArgumentException($"Sequence {index}: positions [{chunk.StartPosition}, {end}) are outside [0, {_layout.Limits.MaxModelLength}).", nameof(chunk));
        }

        if (chunk.NeedsLogits && chunk.Tokens.IsEmpty)
        {
            throw new ArgumentException($"Sequence {index}: NeedsLogits with no tokens.", nameof(chunk));
        }

        foreach (int token in chunk.Tokens.Span)
        {
            if ((uint)token >= (uint)_vocab)
            {
                throw new ArgumentException($"Sequence {index}: token id {token} is outside the vocabulary [0, {_vocab}).", nameof(chunk));
            }
        }

        int types = _layout.Types;
        if (chunk.BlockTables.Length % types != 0 || chunk.BlockTables.Length / types > _layout.MaxBlocks)
        {
            throw new ArgumentException($"Sequence {index}: {chunk.BlockTables.Length} block-table entries are not {types} equal tables of at most {_layout.MaxBlocks} blocks.", nameof(chunk));
        }

        int blocksNeeded = (end + _layout.BlockTokens - 1) / _layout.BlockTokens;
        for (int type = 0; type < types; type++)
        {
            var table = chunk.BlockTable(type, types);
            if (table.Length < blocksNeeded)
            {
                throw new ArgumentException($"Sequence {index}: block table {type} has {table.Length} blocks; positions up to {end} need {blocksNeeded}.", nameof(chunk));
            }

            for (int b = _kv.Types[type].FirstNeededBlock(chunk.StartPosition, _layout.BlockTokens); b < blocksNeeded; b++)
            {
                if ((uint)table[b] >= (uint)_pagesOfType[type])
                {
                    throw new ArgumentException($"Sequence {index}: block table {type} entry {b} is page {table[b]}, outside [0, {_pagesOfType[type]}).", nameof(chunk));
                }
            }
        }
    }
}
