namespace LlmQueue.Models.Tokenization;

/// <summary>A BPE merge: its priority (lower merges first) and the id of the merged token.</summary>
internal readonly record struct MergeRule(int Rank, int MergedId);
