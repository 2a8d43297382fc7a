namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Cuts a SentencePiece-style word ("▁the▁cat▁sat", where the normalizer turned every space into '▁' and
/// nothing split the text) into short pieces that BPE can encode independently. Without it a whole prompt
/// is one word: never cached and slow to merge. A cut before a '▁' that follows character c is exact when no
/// merge can ever join c with that '▁'. Such a merge would produce a vocabulary token containing "c▁", so c
/// is safe when it is a single-character token itself (otherwise byte fallback or unk stands in for it) and
/// no vocabulary token contains "c▁". Runs of '▁' are never cut, since tokens like "▁▁" join them.
/// </summary>
internal sealed class SentencePieceChunker
{
    public const char WordMark = '\u2581';

    // Indexed by UTF-16 code unit; surrogates stay false, so astral characters are never cut after.
    private readonly bool[] _safeBefore;

    private SentencePieceChunker(bool[] safeBefore)
    {
        _safeBefore = safeBefore;
    }

    /// <summary>A chunker for a character-level vocabulary, or null when '▁' is not a token (nothing to cut on).</summary>
    public static SentencePieceChunker? TryCreate(VocabTable vocab)
    {
        if (!vocab.ContainsKey([WordMark]))
        {
            return null;
        }

        var safeBefore = new bool[char.MaxValue + 1];
        foreach (var (token, _) in vocab.Entries)
        {
            if (token.Length == 1 && token[0] != WordMark && !char.IsSurrogate(token[0]))
            {
                safeBefore[token[0]] = true;
            }
        }

        foreach (var (token, _) in vocab.Entries)
        {
            for (var i = token.Length > 1 ? token.IndexOf(WordMark, 1) : -1; i > 0; i = token.IndexOf(WordMark, i + 1))
            {
                safeBefore[token[i - 1]] = false;
            }
        }

        return new SentencePieceChunker(safeBefore);
    }

    /// <summary>Where the chunk that begins at <paramref name="start"/> ends: at the next safe cut, or the word's end.</summary>
    public int ChunkEnd(ReadOnlySpan<char> word, int start)
    {
        var from = start + 1;
        while (from < word.Length)
        {
            var found = word[from..].IndexOf(WordMark);
            if (found < 0)
            {
                break;
            }

            var cut = from + found;
            if (_safeBefore[word[cut - 1]])
            {
                return cut;
            }

            from = cut + 1;
        }

        return word.Length;
    }
}
