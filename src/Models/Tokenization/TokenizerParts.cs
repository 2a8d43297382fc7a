namespace LlmQueue.Models.Tokenization;

/// <summary>The pieces of a tokenizer as read from tokenizer.json, handed to <see cref="Tokenizer"/>.</summary>
internal sealed record TokenizerParts(
    BpeModel Model,
    IReadOnlyList<Normalizer> Normalizers,
    PreTokenizer PreTokenizer,
    IReadOnlyList<AddedToken> AddedTokens,
    IReadOnlyList<int> PrefixIds,
    IReadOnlyList<int> SuffixIds,
    IReadOnlyList<string?> IdToToken,
    VocabTable Vocab,
    TokenByteTable TokenBytes);
