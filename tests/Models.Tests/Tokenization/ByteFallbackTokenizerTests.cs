using System.Text.Json;
using LlmQueue.Models.Tokenization;
using Xunit;

namespace LlmQueue.Models.Tests.Tokenization;

/// <summary>SentencePiece-converted BPE as in Gemma: '▁' for spaces, &lt;0xXX&gt; byte fallback tokens.</summary>
public class ByteFallbackTokenizerTests
{
    private static readonly Tokenizer _tokenizer = Tokenizer.FromJson(
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["normalizer"] = new { type = "Replace", pattern = new { String = " " }, content = "▁" },
            ["pre_tokenizer"] = new { type = "Split", pattern = new { String = " " }, behavior = "MergedWithPrevious", invert = false },
            ["decoder"] = new
            {
                type = "Sequence",
                decoders = new object[]
                {
                    new { type = "Replace", pattern = new { String = "▁" }, content = " " },
                    new { type = "ByteFallback" },
                    new { type = "Fuse" },
                },
            },
            ["model"] = new
            {
                type = "BPE",
                unk_token = "<unk>",
                byte_fallback = true,
                vocab = new Dictionary<string, int>
                {
                    ["<unk>"] = 0, ["<0xC3>"] = 1, ["<0xA9>"] = 2, ["▁"] = 3, ["h"] = 4, ["i"] = 5, ["hi"] = 6, ["▁hi"] = 7,
                },
                merges = new[] { "h i", "▁ hi" },
            },
        }),
        "byte-fallback");

    [Fact]
    public void Unknown_characters_fall_back_to_byte_tokens_and_spaces_become_metaspace()
    {
        // "é hi" -> "é▁hi": é is not in the vocabulary, so its UTF-8 bytes C3 A9; then "h i" and "▁ hi" merge.
        Assert.Equal([1, 2, 7], _tokenizer.Encode("é hi"));
    }

    [Fact]
    public void Decoding_fuses_byte_tokens_and_restores_spaces()
    {
        Assert.Equal("é hi", _tokenizer.Decode([1, 2, 7]));
        Assert.Equal("hi hi", _tokenizer.Decode(_tokenizer.Encode("hi hi")));
    }
}
