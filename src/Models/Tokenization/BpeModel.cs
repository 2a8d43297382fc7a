using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// The BPE model: turns one pre-token word into token ids by starting from bytes (byte-level) or characters
/// (SentencePiece-style, with optional byte fallback) and applying merges lowest rank first, leftmost on
/// ties. Results are cached per word and thread because natural text repeats words constantly; SentencePiece-style words,
/// which span whole lines, are first cut where no merge can cross (<see cref="SentencePieceChunker"/>).
/// Working memory comes from the stack or the array pool: only a new cache entry allocates.
/// </summary>
internal sealed class BpeModel
{
    private const int StackLimit = 256;

    private readonly VocabTable _vocab;
    private readonly MergeTable _merges;
    private readonly int[] _byteIds;

    // Character-level models: the token id of each BMP character that is a token itself, else -1.
    private readonly int[]? _bmpCharIds;
    private readonly bool _byteLevel;
    private readonly bool _byteFallback;
    private readonly bool _ignoreMerges;
    private readonly int? _unkId;
    private readonly SentencePieceChunker? _chunker;
    // Each thread's word cache per model; weak keys, so a dropped tokenizer takes its caches with it.
    [ThreadStatic]
    private static ConditionalWeakTable<BpeModel, WordCache>? s_caches;

    public BpeModel(BpeModelOptions options)
    {
        _vocab = options.Vocab;
        _merges = options.Merges;
        _byteLevel = options.ByteLevel;
        _byteFallback = options.ByteFallback;
        _ignoreMerges = options.IgnoreMerges;
        _unkId = options.UnkId;

        // Cutting a word changes nothing only when merges decide the result; ignore_merges looks whole words up.
        _chunker = _byteLevel || _ignoreMerges ? null : SentencePieceChunker.TryCreate(options.Vocab);
        _byteIds = new int[256];
        for (var b = 0; b < 256; b++)
        {
            var name = _byteLevel ? ByteLevelAlphabet.ToChar((byte)b).ToString() : $"<0x{b:X2}>";
            _byteIds[b] = options.Vocab.TryGetValue(name, out var id) ? id : -1;
        }

        _bmpCharIds = _byteLevel ? null : BmpCharIds(options.Vocab);
    }

    private static int[] BmpCharIds(VocabTable vocab)
    {
        var ids = new int[char.MaxValue + 1];
        Array.Fill(ids, -1);
        foreach (var (token, id) in vocab.Entries)
        {
            if (token.Length == 1 && !char.IsSurrogate(token[0]))
            {
                ids[token[0]] = id;
            }
        }

        return ids;
    }

    /// <summary>The calling thread's word cache; fetch it once per segment, not per word.</summary>
    public WordCache ThreadCache => (s_caches ??= []).GetValue(this, static _ => new WordCache());

    /// <param name="pairs">This thread's merge answers; see <see cref="PairCache.Serve"/>.</param>
    /// <param name="cache">This thread's <see cref="ThreadCache"/>.</param>
    public void EncodeWord(ReadOnlySpan<char> word, List<int> output, PairCache pairs, WordCache cache)
    {
        if (_chunker is null)
        {
            EncodeChunk(word, output, pairs, cache);
            return;
        }

        var bmpIds = _bmpCharIds!;
        for (var start = 0; start < word.Length;)
        {
            var end = _chunker.ChunkEnd(word, start);

            // Cuts leave many one-character pieces (punctuation, brackets): a character token is its own result.
            if (end == start + 1 && bmpIds[word[start]] >= 0)
            {
                output.Add(bmpIds[word[start]]);
            }
            else
            {
                EncodeChunk(word[start..end], output, pairs, cache);
            }

            start = end;
        }
    }

    /// <summary>Readies a thread's pair cache for this model's merges before its words are encoded.</summary>
    public void Prepare(PairCache pairs) => pairs.Serve(_merges);

    /// <summary>Encodes a word, or an independent piece of one, through the cache.</summary>
    private void EncodeChunk(ReadOnlySpan<char> word, List<int> output, PairCache pairs, WordCache cache)
    {
        if (cache.TryGet(word, out var cached))
        {
            output.AddRange(cached.AsSpan());
            return;
        }

        // ignore_merges: a word that is a token as a whole is that token. Asked after the cache: the vocabulary is
        // megabytes of slots and strings, the thread's cache is small and hot.
        if (_ignoreMerges && TryWholeWord(word, out var wholeId))
        {
            output.Add(wholeId);
            cache.Add(word, [wholeId]);
            return;
        }

        // A word never needs more symbols than it has UTF-8 bytes (at most three per UTF-16 unit).
        var capacity = Math.Max(1, word.Length * 3);
        int[]? rented = null;
        var symbols = capacity <= StackLimit
            ? stackalloc int[capacity]
            : (rented = ArrayPool<int>.Shared.Rent(capacity)).AsSpan(0, capacity);
        var ids = symbols[..ComputeWord(word, symbols, pairs)];
        cache.Add(word, ids.ToArray());

        output.AddRange((ReadOnlySpan<int>)ids);
        if (rented is not null)
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    /// <summary>Writes the word's token ids to the start of <paramref name="symbols"/> and returns their count.</summary>
    private int ComputeWord(ReadOnlySpan<char> word, Span<int> symbols, PairCache pairs)
    {
        int count;
        if (_byteLevel)
        {
            var byteCount = Encoding.UTF8.GetByteCount(word);
            byte[]? rentedBytes = null;
            var bytes = byteCount <= StackLimit
                ? stackalloc byte[byteCount]
                : (rentedBytes = ArrayPool<byte>.Shared.Rent(byteCount)).AsSpan(0, byteCount);
            Encoding.UTF8.GetBytes(word, bytes);
            count = ByteSymbols(bytes, symbols);
            if (rentedBytes is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedBytes);
            }
        }
        else
        {
            count = CharSymbols(word, symbols);
        }

        return BpeMerger.Apply(pairs, symbols[..count]);
    }

    /// <summary>The id of the word as one vocabulary token; byte-level vocabularies spell tokens in their alphabet.</summary>
    private bool TryWholeWord(ReadOnlySpan<char> word, out int id)
    {
        if (!_byteLevel)
        {
            return _vocab.TryGetValue(word, out id);
        }

        var byteCount = Encoding.UTF8.GetByteCount(word);
        char[]? rented = null;
        var chars = byteCount <= StackLimit
            ? stackalloc char[byteCount]
            : (rented = ArrayPool<char>.Shared.Rent(byteCount)).AsSpan(0, byteCount);
        ByteLevelAlphabet.EncodeUtf8(word, chars);
        var found = _vocab.TryGetValue(chars, out id);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return found;
    }

    private int ByteSymbols(ReadOnlySpan<byte> bytes, Span<int> symbols)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            symbols[i] = ByteIdOrUnk(bytes[i]);
        }

        return bytes.Length;
    }

    private int CharSymbols(ReadOnlySpan<char> word, Span<int> symbols)
    {
        var count = 0;
        Span<byte> utf8 = stackalloc byte[4];
        var bmpIds = _bmpCharIds!;
        for (var i = 0; i < word.Length;)
        {
            var c = word[i];
            if (!char.IsSurrogate(c) && bmpIds[c] >= 0)
            {
                symbols[count++] = bmpIds[c];
                i++;
                continue;
            }

            // An unpaired surrogate is not a character: like the reference, it becomes U+FFFD's bytes, never a token.
            var status = Rune.DecodeFromUtf16(word[i..], out var rune, out var consumed);
            i += consumed;
            var id = status == OperationStatus.Done ? AstralCharId(rune) : -1;
            if (id >= 0)
            {
                symbols[count++] = id;
            }
            else if (_byteFallback)
            {
                var written = rune.EncodeToUtf8(utf8);
                for (var b = 0; b < written; b++)
                {
                    symbols[count++] = ByteIdOrUnk(utf8[b]);
                }
            }
            else
            {
                symbols[count++] = UnkOrThrow(rune.ToString());
            }
        }

        return count;
    }

    /// <summary>A non-BMP character's token id, or -1 (BMP characters that are tokens were found in the table).</summary>
    private int AstralCharId(Rune rune)
    {
        if (rune.IsBmp)
        {
            return -1;
        }

        Span<char> pair = stackalloc char[2];
        rune.EncodeToUtf16(pair);
        return _vocab.TryGetValue(pair, out var id) ? id : -1;
    }

    private int ByteIdOrUnk(byte value) =>
        _byteIds[value] >= 0 ? _byteIds[value] : UnkOrThrow($"byte 0x{value:X2}");

    private int UnkOrThrow(string what) =>
        _unkId ?? throw new ArgumentException(
            $"The text contains {what}, which the vocabulary cannot represent, and the tokenizer has no unk_token.");
}
