namespace LlmQueue.Models.Tokenization;

public interface ITokenizer
{
    int VocabSize { get; }

    /// <summary>Token ids for text; with addSpecialTokens the post-processor's BOS etc. are added.</summary>
    IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true);

    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="destination"/>; allocates nothing per word.</summary>
    void Encode(ReadOnlySpan<char> text, List<int> destination, EncodeOptions options);

    /// <summary>The leftmost-longest special added token at or after <paramref name="start"/>, or false if there is none.</summary>
    bool TryFindSpecialToken(ReadOnlySpan<char> text, int start, out int index, out AddedToken token);

    /// <summary>Whether an id is a special added token (what skip_special_tokens leaves out).</summary>
    bool IsSpecial(int tokenId);

    /// <summary>Raw bytes a token stands for (byte-level decoding); special tokens give their content.</summary>
    void AppendTokenBytes(int tokenId, List<byte> destination);

    string Decode(IReadOnlyList<int> tokenIds);
}
