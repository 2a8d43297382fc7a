using System.Text.Json;
using LlmQueue.Models.Tokenization;
using Xunit;

namespace LlmQueue.Models.Tests.Tokenization;

/// <summary>
/// SentencePiece-style words (spaces normalized to '▁', no pre-token split) against a straightforward BPE
/// written here: the whole word, lowest rank first, leftmost on ties, one rescan per merge. The vocabulary has
/// merges that join a character with a following '▁' (". ▁", "b ▁"), where cutting the word would be wrong,
/// and runs of '▁' ("▁ ▁", "▁▁ ab").
/// </summary>
public class SentencePieceMergeTests
{
    private static readonly string[][] s_merges =
    [
        ["a", "b"], ["▁", "▁"], [".", "▁"], ["▁", "ab"], ["ab", "c"], [".▁", "ab"], ["▁▁", "ab"],
        ["c", "c"], ["a", "a"], ["aa", "a"], ["b", "▁"], ["▁ab", "c"],
    ];

    private static readonly string[] s_vocabulary =
        ["▁", "a", "b", "c", ".", .. s_merges.Select(m => m[0] + m[1]).Distinct()];

    private static readonly Tokenizer s_tokenizer = Tokenizer.FromJson(
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["normalizer"] = new { type = "Replace", pattern = new { String = " " }, content = "▁" },
            ["pre_tokenizer"] = new { type = "Split", pattern = new { String = " " }, behavior = "MergedWithPrevious", invert = false },
            ["model"] = new
            {
                type = "BPE",
                vocab = s_vocabulary.Select((token, id) => (token, id)).ToDictionary(p => p.token, p => p.id),
                merges = s_merges,
            },
        }),
        "sentencepiece-style");

    [Theory]
    [InlineData("ab. ab", new[] { "ab", ".▁ab" })]
    [InlineData("ab abc", new[] { "ab", "▁abc" })]
    [InlineData("b b", new[] { "b▁", "b" })]
    [InlineData("c  ab", new[] { "c", "▁▁ab" })]
    public void Merges_across_a_word_mark_are_kept(string text, string[] expectedTokens)
    {
        Assert.Equal(expectedTokens, s_tokenizer.Encode(text, addSpecialTokens: false).Select(id => s_tokenizer.IdToToken(id)));
    }

    [Fact]
    public void Random_texts_encode_like_the_whole_word_reference()
    {
        var random = new Random(7);
        const string alphabet = "abc. ";
        for (var i = 0; i < 400; i++)
        {
            // Up to 600 characters, past the stack-allocated and cached sizes.
            var text = new string([.. Enumerable.Range(0, random.Next(1, 600)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            var expected = ReferenceBpe(text.Replace(' ', '▁'));
            var actual = s_tokenizer.Encode(text, addSpecialTokens: false).Select(id => s_tokenizer.IdToToken(id));
            Assert.True(expected.SequenceEqual(actual), $"text '{text}': expected [{string.Join(' ', expected)}], got [{string.Join(' ', actual)}]");
        }
    }

    [Fact]
    public void Equal_ranks_merge_leftmost_first()
    {
        // "a a" outranks "aa a": the first pair merges, then the next free "a a".
        Assert.Equal(ReferenceBpe("aaaaa"), s_tokenizer.Encode("aaaaa", addSpecialTokens: false).Select(id => s_tokenizer.IdToToken(id)));
    }

    private static List<string> ReferenceBpe(string word)
    {
        var ranks = s_merges.Select((m, rank) => (m, rank)).ToDictionary(p => (p.m[0], p.m[1]), p => p.rank);
        var symbols = word.Select(c => c.ToString()).ToList();
        while (true)
        {
            var best = -1;
            var bestRank = int.MaxValue;
            for (var i = 0; i + 1 < symbols.Count; i++)
            {
                if (ranks.TryGetValue((symbols[i], symbols[i + 1]), out var rank) && rank < bestRank)
                {
                    best = i;
                    bestRank = rank;
                }
            }

            if (best < 0)
            {
                return symbols;
            }

            symbols[best] += symbols[best + 1];
            symbols.RemoveAt(best + 1);
        }
    }
}
