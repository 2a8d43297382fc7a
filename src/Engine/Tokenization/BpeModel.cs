using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace LlmQueue.Engine.Tokenization;

/// <summary>
/// The BPE model: turns one pre-token word into token ids by starting from bytes (byte-level) or characters
/// (SentencePiece-style, with optional byte fallback) and applying merges lowest rank first, leftmost on
/// ties. Results are cached per word because natural text repeats words constantly.
/// </summary>
internal sealed class BpeModel
{
    private const int MaxCachedWordLength = 256;
    private const int MaxCacheEntries = 1 << 18;
    private const int StackLimit = 256;

    private readonly IReadOnlyDictionary<string, int> _vocab;
    private readonly Dictionary<long, MergeRule> _merges;
    private readonly int[] _byteIds;
    private readonly bool _byteLevel;
    private readonly bool _byteFallback;
    private readonly bool _ignoreMerges;
    private readonly int? _unkId;
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
        _byteIds = new int[256];
        for (var b = 0; b < 256; b++)
        {
            var name = _byteLevel ? ByteLevelAlphabet.ToChar((byte)b).ToString() : $"<0x{b:X2}>";
            _byteIds[b] = _vocab.TryGetValue(name, out var id) ? id : -1;
        }

        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    public void EncodeWord(ReadOnlySpan<char> word, List<int> output)
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
            if (_vocab.TryGetValue(rune.ToString(), out var id))
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

    private int ByteIdOrUnk(byte value) =>
        _byteIds[value] >= 0 ? _byteIds[value] : UnkOrThrow($"byte 0x{value:X2}");

    private int UnkOrThrow(string what) =>
        _unkId ?? throw new ArgumentException(
            $"The text contains {what}, which the vocabulary cannot represent, and the tokenizer has no unk_token.");

    /// <summary>Merges adjacent symbols in place, lowest rank first and leftmost on ties; returns the new length.</summary>
    private int ApplyMerges(Span<int> symbols)
    {
        var count = symbols.Length;
        if (count < 2)
        {
            return count;
        }

        int[]? rented = null;
        var ranks = count <= StackLimit
            ? stackalloc int[count - 1]
            : (rented = ArrayPool<int>.Shared.Rent(count - 1)).AsSpan(0, count - 1);
        for (var i = 0; i < count - 1; i++)
        {
            ranks[i] = RankOf(symbols[i], symbols[i + 1]);
        }

        while (true)
        {
            var best = -1;
            var bestRank = int.MaxValue;
            for (var i = 0; i < count - 1; i++)
            {
                if (ranks[i] < bestRank)
                {
                    bestRank = ranks[i];
                    best = i;
                }
            }

            if (best < 0)
            {
                break;
            }

            symbols[best] = _merges[PairKey(symbols[best], symbols[best + 1])].MergedId;
            symbols[(best + 2)..count].CopyTo(symbols[(best + 1)..]);
            if (best + 2 < count)
            {
                ranks[(best + 2)..(count - 1)].CopyTo(ranks[(best + 1)..]);
            }

            count--;
            if (best > 0)
            {
                ranks[best - 1] = RankOf(symbols[best - 1], symbols[best]);
            }

            if (best < count - 1)
            {
                ranks[best] = RankOf(symbols[best], symbols[best + 1]);
            }
        }

        if (rented is not null)
        {
            ArrayPool<int>.Shared.Return(rented);
        }

        return count;
    }

    private int RankOf(int left, int right) =>
        _merges.TryGetValue(PairKey(left, right), out var rule) ? rule.Rank : int.MaxValue;

    private static void ReturnIfRented(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
