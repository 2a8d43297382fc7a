using System.Runtime.CompilerServices;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Cuts a SentencePiece-style word ("▁the▁cat▁sat(x);", where the normalizer turned every space into '▁' and
/// nothing split the text) into short pieces that BPE encodes independently. Without it a whole prompt is one
/// word: slow to merge and never seen twice, so never served from the word cache.
/// <para>
/// A cut between characters a and b is exact when no merge can ever join them. Every symbol BPE builds is a
/// vocabulary token whose string is the concatenation of the characters it covers, so a symbol spanning a and
/// b contains "ab". When a and b are single-character tokens themselves (so they start as themselves, not as
/// byte-fallback or unk stand-ins) and no vocabulary token contains "ab", no merge crosses the cut and both
/// sides merge exactly as they would inside the whole word. The bigrams that occur in tokens sit in a bit set
/// indexed by a hash: a collision only forbids a cut, so it can cost speed but never change an id.
/// </para>
/// </summary>
internal sealed class SentencePieceChunker
{
    public const char WordMark = '\u2581';

    // 2^21 bits (256 KB) for Gemma's ~34k distinct bigrams: about 1.6% of absent bigrams look present.
    private const int Bits = 21;

    // Indexed by UTF-16 code unit: the character is a token on its own. Surrogates stay false, so astral
    // characters are never cut around.
    private readonly bool[] _singleToken;
    private readonly ulong[] _bigramBits;

    private SentencePieceChunker(bool[] singleToken, ulong[] bigramBits)
    {
        _singleToken = singleToken;
        _bigramBits = bigramBits;
    }

    /// <summary>A chunker for a character-level vocabulary, or null when '▁' is not a token (nothing to cut on).</summary>
    public static SentencePieceChunker? TryCreate(VocabTable vocab)
    {
        if (!vocab.ContainsKey([WordMark]))
        {
            return null;
        }

        var singleToken = new bool[char.MaxValue + 1];
        var bigramBits = new ulong[(1 << Bits) / 64];
        foreach (var (token, _) in vocab.Entries)
        {
            if (token.Length == 1)
            {
                singleToken[token[0]] = !char.IsSurrogate(token[0]);
            }

            for (var i = 1; i < token.Length; i++)
            {
                var bit = BitOf(token[i - 1], token[i]);
                bigramBits[bit >> 6] |= 1UL << bit;
            }
        }

        return new SentencePieceChunker(singleToken, bigramBits);
    }

    /// <summary>Where the chunk that begins at <paramref name="start"/> ends: at the next exact cut, or the word's end.</summary>
    public int ChunkEnd(ReadOnlySpan<char> word, int start)
    {
        var singleToken = _singleToken;
        var before = singleToken[word[start]];
        for (var i = start + 1; i < word.Length; i++)
        {
            var after = singleToken[word[i]];
            if (before && after && !MayJoin(word[i - 1], word[i]))
            {
                return i;
            }

            before = after;
        }

        return word.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool MayJoin(char left, char right)
    {
        var bit = BitOf(left, right);
        return (_bigramBits[bit >> 6] & (1UL << bit)) != 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BitOf(char left, char right) =>
        (int)((((ulong)left << 16) | right) * 0x9E3779B97F4A7C15 >> (64 - Bits));
}
