using LlmQueue.Engine.Models;

namespace LlmQueue.Engine.Cpu;

/// <summary>Token and logit-row counts of a batch, after checking it fits the model and the cache.</summary>
internal readonly record struct BatchLayout(int Tokens, int LogitRows)
{
    public static BatchLayout Validate(ForwardBatch batch, ModelConfig config, int blockSize, int numBlocks, int logitsLength)
    {
        int tokens = 0;
        int logitRows = 0;
        for (int s = 0; s < batch.Sequences.Count; s++)
        {
            var chunk = batch.Sequences[s];
            ValidateChunk(chunk, s, config.VocabSize, blockSize, numBlocks);
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

    private static void ValidateChunk(SequenceChunk chunk, int index, int vocab, int blockSize, int numBlocks)
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

        int blocksNeeded = (chunk.StartPosition + chunk.Tokens.Length + blockSize - 1) / blockSize;
        var table = chunk.BlockTable.Span;
        if (table.Length < blocksNeeded)
        {
            throw new ArgumentException($"Sequence {index}: block table has {table.Length} blocks; positions up to {chunk.StartPosition + chunk.Tokens.Length} need {blocksNeeded}.", nameof(chunk));
        }

        for (int b = 0; b < blocksNeeded; b++)
        {
            if ((uint)table[b] >= (uint)numBlocks)
            {
                throw new ArgumentException($"Sequence {index}: block id {table[b]} is outside [0, {numBlocks}).", nameof(chunk));
            }
        }
    }
}
