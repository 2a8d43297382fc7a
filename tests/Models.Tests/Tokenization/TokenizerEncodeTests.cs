using LlmQueue.Models.Tokenization;
using Xunit;

namespace LlmQueue.Models.Tests.Tokenization;

public class TokenizerEncodeTests
{
    private static readonly Tokenizer _tokenizer =
        Tokenizer.FromJson(HandBuiltTokenizer.Json(mergesAsArrays: false), "hand-built");

    [Theory]
    // a b c d: "b c" (rank 0) first, then "a bc" (rank 2); "a b"/"c d" never apply.
    [InlineData("abcd", new[] { 7, 3 })]
    // Two equal-rank "a b" pairs: both merge; nothing merges across them.
    [InlineData("abab", new[] { 5, 5 })]
    // "a a" at both positions: the leftmost merges first, leaving a lone "a".
    [InlineData("aaa", new[] { 10, 0 })]
    // GPT-2 regex splits "a" and " abcd"; "Ġ a" (rank 4) loses to "b c" then "a bc".
    [InlineData("a abcd", new[] { 0, 4, 7, 3 })]
    [InlineData("cd", new[] { 8 })]
    public void Applies_merges_lowest_rank_first_and_leftmost_on_ties(string text, int[] expected)
    {
        Assert.Equal(expected, _tokenizer.Encode(text, addSpecialTokens: false));
    }

    [Fact]
    public void Both_merge_json_forms_give_identical_encodings()
    {
        var fromArrays = Tokenizer.FromJson(HandBuiltTokenizer.Json(mergesAsArrays: true), "arrays");
        foreach (var text in new[] { "abcd", "abab", "aaa", "a abcd", "dcba ab ba", "<s>ab<|x|>yab" })
        {
            Assert.Equal(_tokenizer.Encode(text), fromArrays.Encode(text));
        }
    }

    [Fact]
    public void Added_tokens_match_leftmost_longest_and_are_never_split()
    {
        // "<|x|>y" (13) beats its prefix "<|x|>" (12); "<s>" in the middle is one token.
        Assert.Equal([0, 13, 1, 11, 5], _tokenizer.Encode("a<|x|>yb<s>ab", addSpecialTokens: false));
        Assert.Equal([12, 1], _tokenizer.Encode("<|x|>b", addSpecialTokens: false));
    }

    [Fact]
    public void Template_post_processor_adds_bos_only_with_special_tokens()
    {
        Assert.Equal([11, 5], _tokenizer.Encode("ab", addSpecialTokens: true));
        Assert.Equal([5], _tokenizer.Encode("ab", addSpecialTokens: false));
        Assert.Equal([11], _tokenizer.Encode(string.Empty));
    }

    [Fact]
    public void Decode_maps_byte_level_characters_back_to_bytes()
    {
        Assert.Equal("<s>a abcd", _tokenizer.Decode([11, 0, 4, 7, 3]));
        Assert.Equal(14, _tokenizer.VocabSize);
        Assert.Equal(9, _tokenizer.TokenToId("Ġa"));
        Assert.Equal("<|x|>y", _tokenizer.IdToToken(13));
    }

    [Fact]
    public void Byte_level_add_prefix_space_prepends_a_space_to_the_text()
    {
        var document = HandBuiltTokenizer.Document(mergesAsArrays: true);
        document["pre_tokenizer"] = new { type = "ByteLevel", add_prefix_space = true, use_regex = true };
        var tokenizer = Tokenizer.FromJson(System.Text.Json.JsonSerializer.Serialize(document), "prefix-space");

        // " abcd": Ġ a b c d -> "b c", then "a bc"; "Ġ a" never gets its turn.
        Assert.Equal([4, 7, 3], tokenizer.Encode("abcd", addSpecialTokens: false));
        Assert.Equal([9], tokenizer.Encode(" a", addSpecialTokens: false));
    }

    [Fact]
    public void Text_outside_the_vocabulary_without_unk_is_a_clear_error()
    {
        var ex = Assert.Throws<ArgumentException>(() => _tokenizer.Encode("z"));
        Assert.Contains("0x7A", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ids_beyond_the_tokenizer_decode_to_nothing()
    {
        // Models often pad their vocabulary past the tokenizer's last id.
        Assert.Equal("ab", _tokenizer.Decode([5, 500]));
    }
}
