using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// A hand-written scanner for the pre-tokenizer regex of GPT-4's cl100k as Llama 3 and Qwen 2/3 ship it,
/// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>
/// (Qwen: <c>\p{N}</c> instead of <c>\p{N}{1,3}</c>). The regex engine spends most of an encode in it; this
/// scanner tries the alternatives in order at each position with what backtracking would settle on, over code
/// points (so a letter outside the BMP is a letter, as in Hugging Face's engines), with no allocation. Every
/// character is covered by some alternative, so the matches tile the text.
/// </summary>
internal sealed class Cl100kSplitPattern : SplitPattern
{
    public const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public const string QwenPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const byte Letter = 1;
    private const byte Number = 2;
    private const byte Space = 4;

    // Class bits of every UTF-16 code unit; surrogates are 0 here and classified as code points when paired.
    private static readonly byte[] s_classes = BuildClasses();

    private readonly int _maxDigits;

    private Cl100kSplitPattern(int maxDigits)
    {
        _maxDigits = maxDigits;
    }

    /// <summary>The scanner for one of the two known patterns, else null.</summary>
    public static Cl100kSplitPattern? TryCreate(string pattern) => pattern switch
    {
        Llama3Pattern => new Cl100kSplitPattern(3),
        QwenPattern => new Cl100kSplitPattern(1),
        _ => null,
    };

    public override void FindMatches(ReadOnlySpan<char> text, List<Range> matches)
    {
        matches.Clear();
        for (var start = 0; start < text.Length;)
        {
            var end = MatchAt(text, start);
            matches.Add(new Range(start, end));
            start = end;
        }
    }

    /// <summary>The end of the match that starts at <paramref name="p"/>; some alternative always matches.</summary>
    private int MatchAt(ReadOnlySpan<char> text, int p)
    {
        if (text[p] == '\'' && Contraction(text, p) is var contraction and > 0)
        {
            return p + contraction;
        }

        var (cls, width) = ClassAt(text, p);

        // [^\r\n\p{L}\p{N}]?\p{L}+
        if ((cls & Letter) != 0)
        {
            return SkipClass(text, p + width, Letter);
        }

        var next = p + width;
        if ((cls & Number) == 0 && text[p] is not ('\r' or '\n') && next < text.Length && (ClassAt(text, next).Class & Letter) != 0)
        {
            return SkipClass(text, next, Letter);
        }

        // \p{N}{1,3}
        if ((cls & Number) != 0)
        {
            var end = next;
            for (var digits = 1; digits < _maxDigits && end < text.Length && ClassAt(text, end) is { Class: Number } digit; digits++)
            {
                end += digit.Width;
            }

            return end;
        }

        // " ?[^\s\p{L}\p{N}]+[\r\n]*": an optional space, then other characters, then line breaks.
        var otherStart = text[p] == ' ' ? next : p;
        if (otherStart < text.Length && ClassAt(text, otherStart).Class == 0)
        {
            var end = SkipOther(text, otherStart);
            while (end < text.Length && text[end] is '\r' or '\n')
            {
                end++;
            }

            return end;
        }

        // Only whitespace is left (all whitespace is in the BMP).
        var runEnd = SkipClass(text, p, Space);

        // \s*[\r\n]+: backtracking ends the match just after the run's last line break.
        var lastBreak = text[p..runEnd].LastIndexOfAny('\r', '\n');
        if (lastBreak >= 0)
        {
            return p + lastBreak + 1;
        }

        // \s+(?!\S) leaves the run's last space to the word after it; \s+ takes a single space before one.
        return runEnd == text.Length || runEnd - p < 2 ? runEnd : runEnd - 1;
    }

    /// <summary>Length of the contraction at an apostrophe ('s 't 're 've 'm 'll 'd, any case), or 0.</summary>
    private static int Contraction(ReadOnlySpan<char> text, int p)
    {
        if (p + 1 >= text.Length)
        {
            return 0;
        }

        var first = AsciiLower(text[p + 1]);
        if (first is 's' or 't' or 'm' or 'd')
        {
            return 2;
        }

        if (p + 2 >= text.Length)
        {
            return 0;
        }

        var second = AsciiLower(text[p + 2]);
        return (first, second) is ('r', 'e') or ('v', 'e') or ('l', 'l') ? 3 : 0;
    }

    private static char AsciiLower(char c) => c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c;

    private static int SkipClass(ReadOnlySpan<char> text, int position, byte cls)
    {
        while (position < text.Length && ClassAt(text, position) is var at && (at.Class & cls) != 0)
        {
            position += at.Width;
        }

        return position;
    }

    private static int SkipOther(ReadOnlySpan<char> text, int position)
    {
        while (position < text.Length && ClassAt(text, position) is { Class: 0 } at)
        {
            position += at.Width;
        }

        return position;
    }

    /// <summary>The class bits and UTF-16 width of the code point at <paramref name="position"/> (an unpaired surrogate is one "other" unit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (byte Class, int Width) ClassAt(ReadOnlySpan<char> text, int position)
    {
        var c = text[position];
        if (!char.IsHighSurrogate(c) || position + 1 >= text.Length || !char.IsLowSurrogate(text[position + 1]))
        {
            return (s_classes[c], 1);
        }

        var category = Rune.GetUnicodeCategory(new Rune(c, text[position + 1]));
        return (ClassOf(category, isWhiteSpace: false), 2);
    }

    private static byte[] BuildClasses()
    {
        var classes = new byte[char.MaxValue + 1];
        for (var c = 0; c <= char.MaxValue; c++)
        {
            var ch = (char)c;
            classes[c] = char.IsSurrogate(ch) ? (byte)0 : ClassOf(char.GetUnicodeCategory(ch), char.IsWhiteSpace(ch));
        }

        return classes;
    }

    private static byte ClassOf(UnicodeCategory category, bool isWhiteSpace) => category switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Letter,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
        _ => isWhiteSpace ? Space : (byte)0,
    };
}
