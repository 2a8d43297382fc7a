using System.Text;
using System.Text.RegularExpressions;
using LlmQueue.Models.Tokenization;

namespace LlmQueue.Models.Tests.Tokenization;

/// <summary>
/// The hand-written scanner against .NET's regex engine running the same pattern (through the astral stand-ins,
/// as before the scanner existed) on random text built from the characters each alternative turns on.
/// </summary>
public class Cl100kSplitPatternTests
{
    // Letters (ASCII, accented, CJK, astral 𝑥), numbers (ASCII, Arabic-Indic, Roman numeral, astral 𝟏), every kind
    // of whitespace the pattern distinguishes, apostrophes and contraction letters, punctuation, emoji (astral
    // symbols) and unpaired surrogates.
    private static readonly string[] s_alphabet =
    [
        "a", "Z", "é", "漢", "\U0001D465", "s", "S", "t", "re", "VE", "m", "ll", "D", "ſ",
        "1", "٣", "Ⅻ", "\U0001D7CF", "½",
        " ", "  ", "\t", "\n", "\r", "\r\n", "\u00A0", "\u3000", "\u2028", "\u0085",
        "'", "’", ".", ",", "-", "(", "}", "<", "|", "$",
        "\U0001F600", "\u200D", "\uD800", "\uDC00",
    ];

    [Theory]
    [InlineData(Cl100kSplitPattern.Llama3Pattern)]
    [InlineData(Cl100kSplitPattern.QwenPattern)]
    public void Matches_equal_the_regex_engine_on_random_text(string pattern)
    {
        var scanner = SplitPattern.FromRegex(pattern);
        var regex = new RegexSplitPattern(PreTokenizer.CompilePattern(pattern));
        Assert.IsType<Cl100kSplitPattern>(scanner);
        var random = new Random(1234);
        for (var sample = 0; sample < 3000; sample++)
        {
            var text = new StringBuilder();
            for (var length = random.Next(1, 40); length > 0; length--)
            {
                text.Append(s_alphabet[random.Next(s_alphabet.Length)]);
            }

            var input = text.ToString();
            Assert.True(
                Matches(regex, input).SequenceEqual(Matches(scanner, input)),
                $"'{Escape(input)}': regex [{string.Join("|", Matches(regex, input).Select(Escape))}] scanner [{string.Join("|", Matches(scanner, input).Select(Escape))}]");
        }
    }

    [Fact]
    public void Character_classes_equal_the_regex_classes_for_every_bmp_character()
    {
        var scanner = SplitPattern.FromRegex(Cl100kSplitPattern.QwenPattern);
        var regex = new RegexSplitPattern(PreTokenizer.CompilePattern(Cl100kSplitPattern.QwenPattern));

        // Between two letters a character is alone or joins a word exactly as its class says.
        var differing = Enumerable.Range(0, char.MaxValue + 1)
            .Where(c => !char.IsSurrogate((char)c))
            .Select(c => $"ab{(char)c}cd 9{(char)c}9")
            .Where(text => !Matches(regex, text).SequenceEqual(Matches(scanner, text)))
            .Take(5)
            .ToList();
        Assert.True(differing.Count == 0, string.Join(", ", differing.Select(Escape)));
    }

    [Fact]
    public void Other_patterns_keep_the_regex_engine()
    {
        Assert.IsType<RegexSplitPattern>(SplitPattern.FromRegex(PreTokenizer.Gpt2Pattern));
        Assert.IsType<LiteralSplitPattern>(SplitPattern.Literal(" "));
    }

    private static List<string> Matches(SplitPattern pattern, string text)
    {
        var matches = new List<Range>();
        pattern.FindMatches(text, matches);
        return matches.Select(m => text[m]).ToList();
    }

    private static string Escape(string text) =>
        string.Concat(text.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:X4}"));
}
