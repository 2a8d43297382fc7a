using LlmQueue.Engine.KvCache.Jenga;
using LlmQueue.Models;
using LlmQueue.Engine.Runners;

namespace LlmQueue.Engine.Cpu;

/// <summary>Token and logit-row counts of a batch, after checking it fits the model and the cache.</summary>
internal readonly record struct BatchLayout(int Tokens, int LogitRows)
{
    public static BatchLayout Validate(ForwardBatch batch, ModelConfig config, KvPoolLayout kvLayout, int largePages, int logitsLength)
    {
        int tokens = 0;
        int logitRows = 0;
        for (int s = 0; s < batch.Sequences.Count; s++)
        {
            var chunk = batch.Sequences[s];
            ValidateChunk(chunk, s, config.VocabSize, kvLayout, largePages);
            tokens = checked(tokens + chunk.Tokens.Length);
            logitRows += chunk.NeedsLogits ? 1 : 0;
        }

        if (logitsLength < (long)logitRows * config.VocabSize)
        {
            throw new ArgumentException(
                $"logits has {logitsLength} floats; {logitRows} rows of vocab {config.VocabSize} are needed.", nameof(logitsLength));
        }

        return new BatchLayout(tokens, logitRows);
    }

    private static void ValidateChunk(SequenceChunk chunk, int index, int vocab, KvPoolLayout kvLayout, int largePages)
    {
        if (chunk.StartPosition < 0)
        {
            throw new ArgumentException($"Sequence {index}: StartPosition {chunk.StartPosition} is negative.", nameof(chunk));
        }

        if (chunk.NeedsLogits && chunk.Tokens.IsEmpty)
        {
            throw new ArgumentException($"Sequence {index}: NeedsLogits with no tokens.", nameof(chunk));
        }

        foreach (int token in chunk.Tokens.Span)
        {
            if ((uint)token >= (uint)vocab)
            {
                throw new ArgumentException($"Sequence {index}: token id {token} is outside the vocabulary [0, {vocab}).", nameof(chunk));
            }
        }

        int types = kvLayout.TypeCount;
        if (chunk.BlockTables.Length % types != 0)
        {
            throw new ArgumentException($"Sequence {index}: {chunk.BlockTables.Length} block-table entries do not split into {types} equal tables.", nameof(chunk));
        }

        int blockTokens = kvLayout.BlockTokens;
        int blocksNeeded = (chunk.StartPosition + chunk.Tokens.Length + blockTokens - 1) / blockTokens;
        for (int t = 0; t < types; t++)
        {
            var table = chunk.BlockTable(t, types);
            if (table.Length < blocksNeeded)
            {
                throw new ArgumentException($"Sequence {index}: block table {t} has {table.Length} blocks; positions up to {chunk.StartPosition + chunk.Tokens.Length} need {blocksNeeded}.", nameof(chunk));
            }

            // Blocks a sliding window no longer sees may be released (-1); every block still read must be a real page.
            int pages = largePages * kvLayout.SmallPagesPerLargePage(t);
            for (int b = kvLayout.Types[t].FirstNeededBlock(chunk.StartPosition, blockTokens); b < blocksNeeded; b++)
            {
                if ((uint)table[b] >= (uint)pages)
                {
                    throw new ArgumentException($"Sequence {index}: block table {t} entry {b} is page {table[b]}, outside [0, {pages}).", nameof(chunk));
                }
            }
        }
    }
}
