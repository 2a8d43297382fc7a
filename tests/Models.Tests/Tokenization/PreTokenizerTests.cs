using System.Text.RegularExpressions;
using LlmQueue.Models.Tokenization;
using Xunit;

namespace LlmQueue.Models.Tests.Tokenization;

public class PreTokenizerTests
{
    [Theory]
    // Hugging Face's documented example for Split("-") behaviours.
    [InlineData(SplitBehavior.Removed, new[] { "the", "final", "countdown" })]
    [InlineData(SplitBehavior.Isolated, new[] { "the", "-", "final", "-", "-", "countdown" })]
    [InlineData(SplitBehavior.MergedWithPrevious, new[] { "the-", "final-", "-", "countdown" })]
    [InlineData(SplitBehavior.MergedWithNext, new[] { "the", "-final", "-", "-countdown" })]
    internal void Split_behaviours_match_hugging_face(SplitBehavior behavior, string[] expected)
    {
        Assert.Equal(expected, Split(new SplitRule(SplitPattern.FromRegex("-"), behavior), "the-final--countdown"));
    }

    [Theory]
    // Contractions are their own words, digits go in groups of at most three, a lone space before digits stands alone.
    [InlineData("I'm 12345 ok", new[] { "I", "'m", " ", "123", "45", " ok" })]
    [InlineData("WE'LL see", new[] { "WE", "'LL", " see" })]
    // Before a letter, a whitespace run gives up its last space to the word.
    [InlineData("x  = 1;\n\n  y", new[] { "x", " ", " =", " ", "1", ";\n\n", " ", " y" })]
    public void Llama3_pattern_splits_as_hand_derived(string text, string[] expected)
    {
        var rule = new SplitRule(SplitPattern.FromRegex(SyntheticTokenizer.SplitPattern), SplitBehavior.Isolated);
        Assert.Equal(expected, Split(rule, text));
    }

    private static string[] Split(SplitRule rule, string text)
    {
        var pieces = new List<Range>();
        new PreTokenizer([rule]).Split(text, pieces, TokenizerScratch.Current);
        return pieces.Select(p => text[p]).ToArray();
    }
}
