namespace LlmQueue.Models.Tokenization;

/// <summary>The pieces of a tokenizer as read from tokenizer.json, handed to <see cref="Tokenizer"/>.</summary>
internal sealed record TokenizerParts(
    BpeModel Model,
    IReadOnlyList<Func<string, string>> Normalizers,
    PreTokenizer PreTokenizer,
    AddedTokenMatcher AddedTokens,
    IReadOnlyList<int> PrefixIds,
    IReadOnlyList<int> SuffixIds,
    IReadOnlyList<string?> IdToToken,
    IReadOnlyDictionary<string, int> TokenToId,
    IReadOnlyList<byte[]?> TokenBytes);
