using System.Globalization;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// .NET regexes see a character outside the BMP as two surrogates (category Cs), so \p{L}, \p{N} and
/// \p{N}{1,3} miss letters and digits such as 𝑥 or 𝟏 that Hugging Face's code-point regex counts. Splitting a
/// stand-in text instead, where each astral code point is one BMP character of the same general category,
/// gives the same pre-token boundaries; <see cref="ToOriginal"/> maps them back.
/// </summary>
internal static class AstralStandIns
{
    private static readonly char[] s_standInByCategory = BuildStandIns();

    public static bool Needed(ReadOnlySpan<char> text) => text.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;

    /// <summary>
    /// The stand-in text and, for each of its positions plus its end, the position in <paramref name="text"/>.
    /// Unpaired surrogates are kept as they are.
    /// </summary>
    public static (string StandIn, int[] OriginalIndex) Create(ReadOnlySpan<char> text)
    {
        var standIn = new char[text.Length];
        var originalIndex = new int[text.Length + 1];
        var length = 0;
        for (var i = 0; i < text.Length; i++)
        {
            originalIndex[length] = i;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var category = CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(text[i], text[i + 1]));
                standIn[length++] = s_standInByCategory[(int)category];
                i++;
            }
            else
            {
                standIn[length++] = text[i];
            }
        }

        originalIndex[length] = text.Length;
        return (new string(standIn, 0, length), originalIndex);
    }

    public static Range ToOriginal(Range standInRange, int[] originalIndex, int standInLength)
    {
        var (offset, length) = standInRange.GetOffsetAndLength(standInLength);
        return new Range(originalIndex[offset], originalIndex[offset + length]);
    }

    /// <summary>
    /// The first non-ASCII, non-whitespace BMP character of each category: ASCII letters are avoided because
    /// patterns spell contractions ('s, 't, ...) with them.
    /// </summary>
    private static char[] BuildStandIns()
    {
        var standIns = new char[Enum.GetValues<UnicodeCategory>().Length];
        for (int c = 0xA1; c <= 0xFFFF; c++)
        {
            var ch = (char)c;
            var category = (int)char.GetUnicodeCategory(ch);
            if (standIns[category] == '\0' && !char.IsWhiteSpace(ch) && !char.IsSurrogate(ch))
            {
                standIns[category] = ch;
            }
        }

        return standIns;
    }
}
