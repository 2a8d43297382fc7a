using LlmQueue.Engine.KvCache.Jenga;
using LlmQueue.Models;

namespace LlmQueue.Engine.Runners;

/// <summary>
/// Token and sampled-row counts of a batch, after checking it fits the model and the KV memory: what every runner
/// checks before it launches anything, so a malformed batch fails the same way on every backend.
/// </summary>
public readonly record struct BatchShape(int Tokens, int LogitRows)
{
    public static BatchShape Validate(ForwardBatch batch, ModelConfig config, KvPoolLayout kvLayout, int largePages)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(kvLayout);
        var tokens = 0;
        var logitRows = 0;
        for (var s = 0; s < batch.Sequences.Count; s++)
        {
            var chunk = batch.Sequences[s];
            ValidateChunk(chunk, s, config.VocabSize, kvLayout, largePages);
            tokens = checked(tokens + chunk.Tokens.Length);
            if (chunk.NeedsLogits)
            {
                if (logitRows >= batch.Sampling.Count)
                {
                    throw new ArgumentException($"Sequence {s} needs logits but the batch has only {batch.Sampling.Count} sampling rows.", nameof(batch));
                }

                ValidateRow(batch.Sampling[logitRows], chunk, s, config.VocabSize);
                logitRows++;
            }
        }

        if (logitRows != batch.Sampling.Count)
        {
            throw new ArgumentException($"The batch has {batch.Sampling.Count} sampling rows for {logitRows} chunks that need logits.", nameof(batch));
        }

        return new BatchShape(tokens, logitRows);
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

        CheckTokens(chunk.Tokens.Span, vocab, $"Sequence {index}: token id");
        var types = kvLayout.TypeCount;
        if (chunk.BlockTables.Length % types != 0)
        {
            throw new ArgumentException($"Sequence {index}: {chunk.BlockTables.Length} block-table entries do not split into {types} equal tables.", nameof(chunk));
        }

        var blockTokens = kvLayout.BlockTokens;
        var blocksNeeded = (chunk.StartPosition + chunk.Tokens.Length + blockTokens - 1) / blockTokens;
        for (var t = 0; t < types; t++)
        {
            var table = chunk.BlockTable(t, types);
            if (table.Length < blocksNeeded)
            {
                throw new ArgumentException($"Sequence {index}: block table {t} has {table.Length} blocks; positions up to {chunk.StartPosition + chunk.Tokens.Length} need {blocksNeeded}.", nameof(chunk));
            }

            // Blocks a sliding window no longer sees may be released (-1); every block still read must be a real page.
            var pages = largePages * kvLayout.SmallPagesPerLargePage(t);
            for (var b = kvLayout.Types[t].FirstNeededBlock(chunk.StartPosition, blockTokens); b < blocksNeeded; b++)
            {
                if ((uint)table[b] >= (uint)pages)
                {
                    throw new ArgumentException($"Sequence {index}: block table {t} entry {b} is page {table[b]}, outside [0, {pages}).", nameof(chunk));
                }
            }
        }
    }

    private static void ValidateRow(SamplingRow row, SequenceChunk chunk, int index, int vocab)
    {
        ArgumentNullException.ThrowIfNull(row.Parameters);
        var end = chunk.StartPosition + chunk.Tokens.Length;
        if (row.Tokens.Length != end || row.PromptLength < 0 || row.PromptLength > row.Tokens.Length)
        {
            throw new ArgumentException(
                $"Sequence {index}: its sampling row holds {row.Tokens.Length} tokens (prompt {row.PromptLength}); the chunk ends at position {end}.", nameof(row));
        }

        if (row.Parameters.Logprobs is < SamplingParameters.NoLogprobs or > SamplingParameters.MaxLogprobs)
        {
            throw new ArgumentException($"Sequence {index}: logprobs {row.Parameters.Logprobs} is outside [-1, {SamplingParameters.MaxLogprobs}].", nameof(row));
        }

        CheckTokens(row.Tokens.Span, vocab, $"Sequence {index}: sampling history token id");
    }

    private static void CheckTokens(ReadOnlySpan<int> tokens, int vocab, string what)
    {
        foreach (var token in tokens)
        {
            if ((uint)token >= (uint)vocab)
            {
                throw new ArgumentException($"{what} {token} is outside the vocabulary [0, {vocab}).", nameof(tokens));
            }
        }
    }
}
