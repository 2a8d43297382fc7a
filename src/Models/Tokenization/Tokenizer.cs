using System.Runtime.InteropServices;
using System.Text;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// A Hugging Face tokenizer.json tokenizer (BPE model: byte-level as in GPT-2 / Llama 3 / Qwen, or
/// SentencePiece-converted with byte fallback as in Gemma). Thread-safe after construction.
/// </summary>
public sealed class Tokenizer : ITokenizer
{
    private readonly TokenizerParts _parts;

    internal Tokenizer(TokenizerParts parts)
    {
        _parts = parts;
    }

    public int VocabSize => _parts.IdToToken.Count;

    /// <summary>Loads a tokenizer.json; any problem is a <see cref="TokenizerFormatException"/> naming the file.</summary>
    public static Tokenizer FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerFormatException($"{path}: cannot read the tokenizer file: {ex.Message}", ex);
        }

        return FromJson(json, path);
    }

    /// <summary>Parses tokenizer.json text; <paramref name="sourceName"/> names it in error messages.</summary>
    public static Tokenizer FromJson(string json, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(sourceName);
        return new Tokenizer(new TokenizerJsonReader(sourceName).Read(json));
    }

    /// <summary>The id of a vocabulary or added token by its exact string, or null.</summary>
    public int? TokenToId(string token) => _parts.TokenToId.TryGetValue(token, out var id) ? id : null;

    /// <summary>The token string of an id (byte-level form for byte-level vocabularies), or null.</summary>
    public string? IdToToken(int tokenId) =>
        tokenId >= 0 && tokenId < _parts.IdToToken.Count ? _parts.IdToToken[tokenId] : null;

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>((text.Length / 3) + 4);
        if (addSpecialTokens)
        {
            ids.AddRange(_parts.PrefixIds);
        }

        var pieces = new List<Range>();
        var start = 0;
        while (_parts.AddedTokens.TryFindNext(text, start, out var index, out var added))
        {
            EncodeSegment(text[start..index], ids, pieces);
            ids.Add(added.Id);
            start = index + added.Content.Length;
        }

        EncodeSegment(start == 0 ? text : text[start..], ids, pieces);
        if (addSpecialTokens)
        {
            ids.AddRange(_parts.SuffixIds);
        }

        return ids;
    }

    /// <summary>Appends the bytes of a token; ids the tokenizer does not define (model padding) add nothing.</summary>
    public void AppendTokenBytes(int tokenId, List<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenId);
        ArgumentNullException.ThrowIfNull(destination);
        if (tokenId < _parts.TokenBytes.Count && _parts.TokenBytes[tokenId] is { } bytes)
        {
            destination.AddRange(bytes);
        }
    }

    public string Decode(IReadOnlyList<int> tokenIds)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        var bytes = new List<byte>(tokenIds.Count * 4);
        foreach (var id in tokenIds)
        {
            AppendTokenBytes(id, bytes);
        }

        return Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(bytes));
    }

    private void EncodeSegment(string segment, List<int> ids, List<Range> pieces)
    {
        if (segment.Length == 0)
        {
            return;
        }

        foreach (var normalize in _parts.Normalizers)
        {
            segment = normalize(segment);
        }

        segment = _parts.PreTokenizer.Prepare(segment);
        _parts.PreTokenizer.Split(segment, pieces);
        foreach (var piece in pieces)
        {
            _parts.Model.EncodeWord(segment.AsSpan()[piece], ids);
        }
    }
}
