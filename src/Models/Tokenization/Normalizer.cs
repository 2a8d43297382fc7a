using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// One tokenizer.json normalizer step. It returns its input untouched when it has nothing to change, and
/// otherwise writes into a scratch buffer, so normalizing text that is already normal costs a scan and no copy.
/// </summary>
internal abstract class Normalizer
{
    public abstract ReadOnlySpan<char> Apply(ReadOnlySpan<char> text, TokenizerScratch scratch);
}

/// <summary>Replace with a one-character pattern and content (Gemma's ' ' to '▁').</summary>
internal sealed class CharReplaceNormalizer(char from, char to) : Normalizer
{
    public override ReadOnlySpan<char> Apply(ReadOnlySpan<char> text, TokenizerScratch scratch)
    {
        if (!text.Contains(from))
        {
            return text;
        }

        var output = scratch.OtherBuffer(text, text.Length).AsSpan(0, text.Length);
        text.Replace(output, from, to);
        return output;
    }
}

/// <summary>Replace with a literal string pattern.</summary>
internal sealed class LiteralReplaceNormalizer(string from, string to) : Normalizer
{
    public override ReadOnlySpan<char> Apply(ReadOnlySpan<char> text, TokenizerScratch scratch)
    {
        var first = text.IndexOf(from, StringComparison.Ordinal);
        if (first < 0)
        {
            return text;
        }

        // Each occurrence grows the text by at most to.Length - from.Length.
        var maxLength = text.Length + (Math.Max(0, to.Length - from.Length) * (text.Length / from.Length));
        var output = scratch.OtherBuffer(text, maxLength);
        var written = 0;
        for (var start = 0; ;)
        {
            var found = first >= 0 ? first : text[start..].IndexOf(from, StringComparison.Ordinal);
            first = -1;
            if (found < 0)
            {
                text[start..].CopyTo(output.AsSpan(written));
                return output.AsSpan(0, written + text.Length - start);
            }

            text.Slice(start, found).CopyTo(output.AsSpan(written));
            written += found;
            to.CopyTo(output.AsSpan(written));
            written += to.Length;
            start += found + from.Length;
        }
    }
}

/// <summary>Replace with a regex pattern; rare, so it goes through strings.</summary>
internal sealed class RegexReplaceNormalizer(Regex pattern, string content) : Normalizer
{
    public override ReadOnlySpan<char> Apply(ReadOnlySpan<char> text, TokenizerScratch scratch) =>
        pattern.IsMatch(text) ? pattern.Replace(text.ToString(), content) : text;
}

/// <summary>
/// Prepend (always, to non-empty text), or ByteLevel's add_prefix_space (only when the text does not already
/// start with the prefix).
/// </summary>
internal sealed class PrependNormalizer(string prefix, bool unlessPresent) : Normalizer
{
    public override ReadOnlySpan<char> Apply(ReadOnlySpan<char> text, TokenizerScratch scratch)
    {
        if (text.IsEmpty || (unlessPresent && text.StartsWith(prefix, StringComparison.Ordinal)))
        {
            return text;
        }

        var output = scratch.OtherBuffer(text, prefix.Length + text.Length);
        prefix.CopyTo(output);
        text.CopyTo(output.AsSpan(prefix.Length));
        return output.AsSpan(0, prefix.Length + text.Length);
    }
}

internal sealed class LowercaseNormalizer : Normalizer
{
    public override ReadOnlySpan<char> Apply(ReadOnlySpan<char> text, TokenizerScratch scratch)
    {
        var output = scratch.OtherBuffer(text, text.Length).AsSpan(0, text.Length);
        text.ToLowerInvariant(output);
        return output;
    }
}

/// <summary>
/// NFC, NFD, NFKC or NFKD; text already in the form (nearly all text, and all ASCII) is returned as is. .NET
/// refuses to normalize an unpaired surrogate or U+FFFE, so such text is normalized between them, which keeps
/// them as JavaScript's normalize does.
/// </summary>
internal sealed class UnicodeNormalizer(NormalizationForm form) : Normalizer
{
    // BMP characters that leave NFC text in NFC whatever surrounds them; .NET's IsNormalized allocates on
    // non-ASCII text, so most text is settled with this table first.
    private static readonly Lazy<bool[]> s_nfcStable = new(BuildNfcStable);
    private static readonly SearchValues<char> s_unnormalizable =
        SearchValues.Create([.. Enumerable.Range(0xD800, 0x800).Select(c => (char)c), '\uFFFE']);

    public override ReadOnlySpan<char> Apply(ReadOnlySpan<char> text, TokenizerScratch scratch)
    {
        if (form == NormalizationForm.FormC && IsNfcByQuickCheck(text))
        {
            return text;
        }

        var unpaired = FirstUnnormalizable(text, 0);
        if (unpaired < 0 && text.IsNormalized(form))
        {
            return text;
        }

        // Decomposition can grow text; the normalized lengths are asked for per valid stretch.
        var length = 0;
        for (var start = 0; start < text.Length;)
        {
            var end = FirstUnnormalizable(text, start) is var found and >= 0 ? found : text.Length;
            length += (end > start ? text[start..end].GetNormalizedLength(form) : 0) + (end < text.Length ? 1 : 0);
            start = end + 1;
        }

        var output = scratch.OtherBuffer(text, length);
        var written = 0;
        for (var start = 0; start < text.Length;)
        {
            var end = FirstUnnormalizable(text, start) is var found and >= 0 ? found : text.Length;
            if (end > start)
            {
                text[start..end].TryNormalize(output.AsSpan(written), out var count, form);
                written += count;
            }

            if (end < text.Length)
            {
                output[written++] = text[end];
            }

            start = end + 1;
        }

        return output.AsSpan(0, written);
    }

    private static bool IsNfcByQuickCheck(ReadOnlySpan<char> text)
    {
        var stable = s_nfcStable.Value;
        for (var i = 0; i < text.Length; i++)
        {
            if (stable[text[i]])
            {
                continue;
            }

            if (!char.IsHighSurrogate(text[i]) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])
                || !IsStableAstral(char.ConvertToUtf32(text[i], text[i + 1])))
            {
                return false;
            }

            i++;
        }

        return true;
    }

    /// <summary>Emoji and symbols (U+1F000-U+1FBFF) and CJK extensions B-F (below the compatibility ideographs at U+2F800).</summary>
    private static bool IsStableAstral(int codePoint) => codePoint is (>= 0x1F000 and <= 0x1FBFF) or (>= 0x20000 and < 0x2F800);

    /// <summary>
    /// A character is stable when it is NFC on its own (no singleton decomposition) and cannot be the second
    /// character of a composition: those are the combining marks (Mn, Mc, Me) and the Hangul vowel and trailing
    /// jamo. Surrogates are left to the full check.
    /// </summary>
    private static bool[] BuildNfcStable()
    {
        var stable = new bool[char.MaxValue + 1];
        for (var c = 0; c <= char.MaxValue; c++)
        {
            var ch = (char)c;
            stable[c] = c < 0x300 || (!char.IsSurrogate(ch)
                && char.GetUnicodeCategory(ch) is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
                && c is not (>= 0x1160 and <= 0x11FF) and not 0xFFFE
                && ch.ToString().IsNormalized(NormalizationForm.FormC));
        }

        return stable;
    }

    /// <summary>The first unpaired surrogate or U+FFFE (which .NET also refuses to normalize) at or after start, or -1.</summary>
    private static int FirstUnnormalizable(ReadOnlySpan<char> text, int start)
    {
        for (var i = start; i < text.Length; i++)
        {
            var offset = text[i..].IndexOfAny(s_unnormalizable);
            if (offset < 0)
            {
                return -1;
            }

            i += offset;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            return i;
        }

        return -1;
    }
}
