using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// The BPE model: turns one pre-token word into token ids by starting from bytes (byte-level) or characters
/// (SentencePiece-style, with optional byte fallback) and applying merges lowest rank first, leftmost on
/// ties. Results are cached per word because natural text repeats words constantly; SentencePiece-style words,
/// which span whole lines, are first cut where no merge can cross (<see cref="SentencePieceChunker"/>).
/// </summary>
internal sealed class BpeModel
{
    private const int MaxCachedWordLength = 256;
    private const int MaxCacheEntries = 1 << 18;
    private const int StackLimit = 256;

    private readonly IReadOnlyDictionary<string, int> _vocab;
    private readonly Dictionary<long, MergeRule> _merges;
    private readonly int[] _byteIds;

    // Character-level models: the token id of each BMP character that is a token itself, else -1.
    private readonly int[]? _bmpCharIds;
    private readonly bool _byteLevel;
    private readonly bool _byteFallback;
    private readonly bool _ignoreMerges;
    private readonly int? _unkId;
    private readonly SentencePieceChunker? _chunker;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;

    // ConcurrentDictionary.Count takes every lock, so the size is tracked here.
    private int _cacheEntries;

    public BpeModel(BpeModelOptions options)
    {
        _vocab = options.Vocab;
        _merges = options.Merges;
        _byteLevel = options.ByteLevel;
        _byteFallback = options.ByteFallback;
        _ignoreMerges = options.IgnoreMerges;
        _unkId = options.UnkId;

        // Cutting a word changes nothing only when merges decide the result; ignore_merges looks whole words up.
        _chunker = _byteLevel || _ignoreMerges ? null : SentencePieceChunker.TryCreate(_vocab);
        _byteIds = new int[256];
        for (var b = 0; b < 256; b++)
        {
            var name = _byteLevel ? ByteLevelAlphabet.ToChar((byte)b).ToString() : $"<0x{b:X2}>";
            _byteIds[b] = _vocab.TryGetValue(name, out var id) ? id : -1;
        }

        _bmpCharIds = _byteLevel ? null : BmpCharIds(_vocab);
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    private static int[] BmpCharIds(IReadOnlyDictionary<string, int> vocab)
    {
        var ids = new int[char.MaxValue + 1];
        Array.Fill(ids, -1);
        foreach (var (token, id) in vocab)
        {
            if (token.Length == 1 && !char.IsSurrogate(token[0]))
            {
                ids[token[0]] = id;
            }
        }

        return ids;
    }

    public static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    public void EncodeWord(ReadOnlySpan<char> word, List<int> output)
    {
        if (_chunker is null)
        {
            EncodeChunk(word, output);
            return;
        }

        for (var start = 0; start < word.Length;)
        {
            var end = _chunker.ChunkEnd(word, start);
            EncodeChunk(word[start..end], output);
            start = end;
        }
    }

    /// <summary>Encodes a word, or an independent piece of one, through the cache.</summary>
    private void EncodeChunk(ReadOnlySpan<char> word, List<int> output)
    {
        if (_cacheLookup.TryGetValue(word, out var cached))
        {
            output.AddRange(cached);
            return;
        }

        var ids = ComputeWord(word);
        if (word.Length <= MaxCachedWordLength && Volatile.Read(ref _cacheEntries) < MaxCacheEntries
            && _cacheLookup.TryAdd(word, ids))
        {
            Interlocked.Increment(ref _cacheEntries);
        }

        output.AddRange(ids);
    }

    private int[] ComputeWord(ReadOnlySpan<char> word)
    {
        var byteCount = Encoding.UTF8.GetByteCount(word);
        byte[]? rentedBytes = null;
        var bytes = byteCount <= StackLimit
            ? stackalloc byte[byteCount]
            : (rentedBytes = ArrayPool<byte>.Shared.Rent(byteCount)).AsSpan(0, byteCount);
        Encoding.UTF8.GetBytes(word, bytes);

        if (_ignoreMerges && TryWholeWord(word, bytes, out var wholeId))
        {
            ReturnIfRented(rentedBytes);
            return [wholeId];
        }

        // A word never needs more symbols than it has bytes.
        var symbolBuffer = ArrayPool<int>.Shared.Rent(Math.Max(byteCount, 1));
        try
        {
            var count = _byteLevel ? ByteSymbols(bytes, symbolBuffer) : CharSymbols(word, symbolBuffer);
            count = ApplyMerges(symbolBuffer.AsSpan(0, count));
            return symbolBuffer.AsSpan(0, count).ToArray();
        }
        finally
        {
            ArrayPool<int>.Shared.Return(symbolBuffer);
            ReturnIfRented(rentedBytes);
        }
    }

    private bool TryWholeWord(ReadOnlySpan<char> word, ReadOnlySpan<byte> bytes, out int id)
    {
        var key = _byteLevel ? ByteLevelAlphabet.Encode(bytes) : word.ToString();
        return _vocab.TryGetValue(key, out id);
    }

    private int ByteSymbols(ReadOnlySpan<byte> bytes, int[] symbols)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            symbols[i] = ByteIdOrUnk(bytes[i]);
        }

        return bytes.Length;
    }

    private int CharSymbols(ReadOnlySpan<char> word, int[] symbols)
    {
        var count = 0;
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in word.EnumerateRunes())
        {
            var id = CharTokenId(rune);
            if (id >= 0)
            {
                symbols[count++] = id;
            }
            else if (_byteFallback)
            {
                var written = rune.EncodeToUtf8(utf8);
                for (var i = 0; i < written; i++)
                {
                    symbols[count++] = ByteIdOrUnk(utf8[i]);
                }
            }
            else
            {
                symbols[count++] = UnkOrThrow(rune.ToString());
            }
        }

        return count;
    }

    private int CharTokenId(Rune rune) =>
        rune.IsBmp ? _bmpCharIds![rune.Value] : _vocab.TryGetValue(rune.ToString(), out var id) ? id : -1;

    private int ByteIdOrUnk(byte value) =>
        _byteIds[value] >= 0 ? _byteIds[value] : UnkOrThrow($"byte 0x{value:X2}");

    private int UnkOrThrow(string what) =>
        _unkId ?? throw new ArgumentException(
            $"The text contains {what}, which the vocabulary cannot represent, and the tokenizer has no unk_token.");

    /// <summary>
    /// Merges adjacent symbols in place, lowest rank first and leftmost on ties; returns the new length.
    /// Symbols form a linked list and candidate pairs sit in a heap, so a word of n symbols costs O(n log n)
    /// rather than a rescan per merge (SentencePiece-style words can be thousands of symbols long). Heap entries
    /// go stale when a neighbour merges; rankAt[i], the rank of the pair now starting at i, tells them apart
    /// (ranks are unique per pair and a position's pair only ever grows into another pair).
    /// </summary>
    private int ApplyMerges(Span<int> symbols)
    {
        var count = symbols.Length;
        if (count < 2)
        {
            return count;
        }

        // Every merge pushes at most two new candidates on top of the initial count - 1.
        var heapSize = 3 * count;
        int[]? rentedLinks = null;
        long[]? rentedHeap = null;
        var links = count <= StackLimit
            ? stackalloc int[4 * count]
            : (rentedLinks = ArrayPool<int>.Shared.Rent(4 * count)).AsSpan(0, 4 * count);
        var heap = new MergeHeap(count <= StackLimit
            ? stackalloc long[heapSize]
            : (rentedHeap = ArrayPool<long>.Shared.Rent(heapSize)).AsSpan(0, heapSize));
        var next = links[..count];
        var prev = links[count..(2 * count)];
        var rankAt = links[(2 * count)..(3 * count)];
        var mergedAt = links[(3 * count)..];
        for (var i = 0; i < count; i++)
        {
            next[i] = i + 1 < count ? i + 1 : -1;
            prev[i] = i - 1;
            Consider(symbols, next, rankAt, mergedAt, ref heap, i);
        }

        while (heap.TryPop(out var rank, out var left))
        {
            if (rankAt[left] != rank)
            {
                continue;
            }

            var right = next[left];
            symbols[left] = mergedAt[left];
            rankAt[right] = -1;
            next[left] = next[right];
            if (next[left] >= 0)
            {
                prev[next[left]] = left;
            }

            Consider(symbols, next, rankAt, mergedAt, ref heap, left);
            if (prev[left] >= 0)
            {
                Consider(symbols, next, rankAt, mergedAt, ref heap, prev[left]);
            }
        }

        var length = 0;
        for (var i = 0; i >= 0; i = next[i])
        {
            symbols[length++] = symbols[i];
        }

        if (rentedLinks is not null)
        {
            ArrayPool<int>.Shared.Return(rentedLinks);
        }

        if (rentedHeap is not null)
        {
            ArrayPool<long>.Shared.Return(rentedHeap);
        }

        return length;
    }

    /// <summary>Records the pair now starting at <paramref name="left"/> and queues it when some merge applies.</summary>
    private void Consider(Span<int> symbols, Span<int> next, Span<int> rankAt, Span<int> mergedAt, ref MergeHeap heap, int left)
    {
        if (next[left] >= 0 && _merges.TryGetValue(PairKey(symbols[left], symbols[next[left]]), out var rule))
        {
            rankAt[left] = rule.Rank;
            mergedAt[left] = rule.MergedId;
            heap.Push(rule.Rank, left);
        }
        else
        {
            rankAt[left] = int.MaxValue;
        }
    }

    private static void ReturnIfRented(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
