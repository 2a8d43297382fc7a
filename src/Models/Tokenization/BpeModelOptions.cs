namespace LlmQueue.Models.Tokenization;

/// <summary>What a BPE model needs, as read from tokenizer.json's "model" section.</summary>
internal sealed record BpeModelOptions(
    VocabTable Vocab,
    MergeTable Merges,
    bool ByteLevel,
    bool ByteFallback,
    bool IgnoreMerges,
    int? UnkId);
