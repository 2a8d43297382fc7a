namespace LlmQueue.Gpu.Planning;

/// <summary>What <see cref="StepPacker.Pack"/> wrote: real and padded counts, and how many staging ints to copy.</summary>
/// <param name="Tokens">Real tokens; rows Tokens..PaddedTokens are padding (position -1, slot -1).</param>
/// <param name="Sequences">Real sequences (block-table rows); rows up to PaddedSequences hold -1.</param>
/// <param name="LogitRows">Rows that need logits, in batch order; padded rows point at token 0.</param>
/// <param name="CopyInts">Staging prefix to copy to the device.</param>
public readonly record struct PackedStep(
    int Tokens, int PaddedTokens, int Sequences, int PaddedSequences, int LogitRows, int PaddedLogitRows, int CopyInts);
