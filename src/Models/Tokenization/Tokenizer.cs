using System.Runtime.InteropServices;
using System.Text;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// A Hugging Face tokenizer.json tokenizer (BPE model: byte-level as in GPT-2 / Llama 3 / Qwen, or
/// SentencePiece-converted with byte fallback as in Gemma). Thread-safe after construction. Encoding works in
/// per-thread buffers (<see cref="TokenizerScratch"/>) and caches each word's ids, so once warm it allocates
/// nothing per word; <see cref="EncodeOptions"/> choose whether special-token strings in the text are control
/// tokens, <see cref="DecodeOptions"/> how special tokens and invalid UTF-8 decode.
/// </summary>
public sealed class Tokenizer : ITokenizer
{
    private static readonly EncodeOptions s_withoutPostProcessor = EncodeOptions.Default with { AddSpecialTokens = false };
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly TokenizerParts _parts;
    private readonly Normalizer[] _normalizers;
    private readonly AddedTokenMatcher _allAddedTokens;
    private readonly AddedTokenMatcher _nonSpecialAddedTokens;
    private readonly AddedTokenMatcher _specialAddedTokens;
    private readonly bool[] _specialIds;
    private readonly Dictionary<string, int> _addedIds = new(StringComparer.Ordinal);

    internal Tokenizer(TokenizerParts parts)
    {
        _parts = parts;
        _normalizers = [.. parts.Normalizers];
        _allAddedTokens = new AddedTokenMatcher(parts.AddedTokens);
        _nonSpecialAddedTokens = new AddedTokenMatcher(parts.AddedTokens.Where(t => !t.Special));
        _specialAddedTokens = new AddedTokenMatcher(parts.AddedTokens.Where(t => t.Special));
        _specialIds = new bool[parts.IdToToken.Count];
        foreach (var token in parts.AddedTokens)
        {
            _specialIds[token.Id] |= token.Special;
            _addedIds[token.Content] = token.Id;
        }
    }

    public int VocabSize => _parts.IdToToken.Count;

    /// <summary>The added tokens (special or not), in tokenizer.json order.</summary>
    public IReadOnlyList<AddedToken> AddedTokens => _parts.AddedTokens;

    /// <summary>Loads a tokenizer.json; any problem is a <see cref="TokenizerFormatException"/> naming the file.</summary>
    public static Tokenizer FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new Tokenizer(new TokenizerJsonReader(path).Read(ReadFile(path)));
    }

    /// <summary>A file's bytes; a missing or unreadable file is a <see cref="TokenizerFormatException"/> naming it.</summary>
    internal static byte[] ReadFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerFormatException($"{path}: cannot read the tokenizer file: {ex.Message}", ex);
        }
    }

    /// <summary>Parses tokenizer.json text; <paramref name="sourceName"/> names it in error messages.</summary>
    public static Tokenizer FromJson(string json, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(sourceName);
        return new Tokenizer(new TokenizerJsonReader(sourceName).Read(Encoding.UTF8.GetBytes(json)));
    }

    /// <summary>The id of a vocabulary or added token by its exact string, or null.</summary>
    public int? TokenToId(string token) =>
        _addedIds.TryGetValue(token, out var id) || _parts.Vocab.TryGetValue(token, out id) ? id : null;

    /// <summary>The token string of an id (byte-level form for byte-level vocabularies), or null.</summary>
    public string? IdToToken(int tokenId) =>
        tokenId >= 0 && tokenId < _parts.IdToToken.Count ? _parts.IdToToken[tokenId] : null;

    public bool IsSpecial(int tokenId) => (uint)tokenId < (uint)_specialIds.Length && _specialIds[tokenId];

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true) =>
        Encode(text, addSpecialTokens ? EncodeOptions.Default : s_withoutPostProcessor);

    public IReadOnlyList<int> Encode(string text, EncodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>((text.Length / 3) + 4);
        Encode(text, ids, options);
        return ids;
    }

    public void Encode(ReadOnlySpan<char> text, List<int> destination, EncodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(options);
        var scratch = TokenizerScratch.Current;
        if (options.AddSpecialTokens)
        {
            destination.AddRange(_parts.PrefixIds);
        }

        var added = options.SplitSpecialTokens ? _nonSpecialAddedTokens : _allAddedTokens;
        var start = 0;
        while (added.TryFindNext(text, start, out var index, out var token))
        {
            EncodeSegment(text[start..index], destination, scratch);
            destination.Add(token.Id);
            start = index + token.Content.Length;
        }

        EncodeSegment(text[start..], destination, scratch);
        if (options.AddSpecialTokens)
        {
            destination.AddRange(_parts.SuffixIds);
        }
    }

    /// <summary>
    /// Writes the ids of <paramref name="text"/> to <paramref name="destination"/>; false (and nothing written)
    /// when they do not fit. Allocates nothing once the calling thread has encoded text of this size.
    /// </summary>
    public bool TryEncode(ReadOnlySpan<char> text, Span<int> destination, out int written, EncodeOptions options)
    {
        var ids = TokenizerScratch.Current.Ids;
        ids.Clear();
        Encode(text, ids, options);
        written = ids.Count <= destination.Length ? ids.Count : 0;
        if (ids.Count > destination.Length)
        {
            return false;
        }

        CollectionsMarshal.AsSpan(ids).CopyTo(destination);
        return true;
    }

    /// <summary>Encodes many texts on all cores (or <paramref name="maxDegreeOfParallelism"/>); results in input order.</summary>
    public IReadOnlyList<int>[] EncodeBatch(IReadOnlyList<string> texts, EncodeOptions options, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var results = new IReadOnlyList<int>[texts.Count];
        Parallel.For(
            0,
            texts.Count,
            new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism },
            i => results[i] = Encode(texts[i], options));
        return results;
    }

    public bool TryFindSpecialToken(ReadOnlySpan<char> text, int start, out int index, out AddedToken token) =>
        _specialAddedTokens.TryFindNext(text, start, out index, out token);

    /// <summary>Appends the bytes of a token; ids the tokenizer does not define (model padding) add nothing.</summary>
    public void AppendTokenBytes(int tokenId, List<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenId);
        ArgumentNullException.ThrowIfNull(destination);
        destination.AddRange(_parts.TokenBytes[tokenId]);
    }

    public string Decode(IReadOnlyList<int> tokenIds) => Decode(tokenIds, DecodeOptions.Default);

    /// <summary>The text of the ids; with <see cref="InvalidUtf8Handling.Error"/> bytes that are not UTF-8 throw <see cref="DecoderFallbackException"/>.</summary>
    public string Decode(IReadOnlyList<int> tokenIds, DecodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        ArgumentNullException.ThrowIfNull(options);
        var bytes = new List<byte>(tokenIds.Count * 4);
        foreach (var id in tokenIds)
        {
            if (!options.SkipSpecialTokens || !IsSpecial(id))
            {
                AppendTokenBytes(id, bytes);
            }
        }

        var encoding = options.InvalidUtf8 == InvalidUtf8Handling.Error ? s_strictUtf8 : Encoding.UTF8;
        return encoding.GetString(CollectionsMarshal.AsSpan(bytes));
    }

    private void EncodeSegment(ReadOnlySpan<char> segment, List<int> ids, TokenizerScratch scratch)
    {
        if (segment.IsEmpty)
        {
            return;
        }

        foreach (var normalizer in _normalizers)
        {
            segment = normalizer.Apply(segment, scratch);
        }

        var pieces = scratch.Pieces;
        _parts.PreTokenizer.Split(segment, pieces, scratch);
        _parts.Model.Prepare(scratch.Pairs);
        var cache = _parts.Model.ThreadCache;
        foreach (var piece in pieces)
        {
            _parts.Model.EncodeWord(segment[piece], ids, scratch.Pairs, cache);
        }
    }
}
