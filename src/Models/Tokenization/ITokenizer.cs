namespace LlmQueue.Models.Tokenization;

public interface ITokenizer
{
    int VocabSize { get; }

    /// <summary>Token ids for text; with addSpecialTokens the post-processor's BOS etc. are added.</summary>
    IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true);

    /// <summary>Raw bytes a token stands for (byte-level decoding); special tokens give their content.</summary>
    void AppendTokenBytes(int tokenId, List<byte> destination);

    string Decode(IReadOnlyList<int> tokenIds);
}
