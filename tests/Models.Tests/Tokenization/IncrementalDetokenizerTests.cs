using System.Text;
using LlmQueue.Models.Tokenization;
using Xunit;

namespace LlmQueue.Models.Tests.Tokenization;

public class IncrementalDetokenizerTests
{
    private static Tokenizer Synthetic => TokenizerRoundTripTests.Synthetic;

    [Theory]
    [MemberData(nameof(TokenizerRoundTripTests.Texts), MemberType = typeof(TokenizerRoundTripTests))]
    public void Concatenated_deltas_equal_decode_and_are_never_broken(string text)
    {
        var ids = Synthetic.Encode(text, addSpecialTokens: false);
        var detokenizer = new IncrementalDetokenizer(Synthetic);
        var output = new StringBuilder();
        foreach (var id in ids)
        {
            var delta = detokenizer.Append(id);
            Assert.False(HasLoneSurrogate(delta));
            Assert.DoesNotContain('\uFFFD', delta);
            output.Append(delta);
        }

        output.Append(detokenizer.Flush());
        Assert.Equal(Synthetic.Decode(ids), output.ToString());
    }

    [Fact]
    public void Emoji_split_over_byte_tokens_appears_only_when_complete()
    {
        // With vocab 258 there are no merges: every byte is its own token (ids are byte values).
        var bytesOnly = SyntheticTokenizer.Create(SyntheticTokenizer.MinVocabSize);
        var detokenizer = new IncrementalDetokenizer(bytesOnly);
        var deltas = Encoding.UTF8.GetBytes("😀").Select(b => detokenizer.Append(b)).ToList();
        Assert.Equal(["", "", "", "😀"], deltas);
    }

    [Fact]
    public void Broken_tail_is_flushed_as_replacement_character()
    {
        var bytesOnly = SyntheticTokenizer.Create(SyntheticTokenizer.MinVocabSize);
        var detokenizer = new IncrementalDetokenizer(bytesOnly);
        Assert.Equal("a", detokenizer.Append('a'));
        Assert.Equal(string.Empty, detokenizer.Append(0xE4));
        Assert.Equal(string.Empty, detokenizer.Append(0xB8));
        Assert.Equal("\uFFFD", detokenizer.Flush());
    }

    [Fact]
    public void Invalid_byte_followed_by_text_matches_one_shot_decoding()
    {
        var bytesOnly = SyntheticTokenizer.Create(SyntheticTokenizer.MinVocabSize);
        int[] ids = [0xF0, 0x9F, 'x', 0xC3, 0xA9];
        var detokenizer = new IncrementalDetokenizer(bytesOnly);
        var streamed = string.Concat(ids.Select(detokenizer.Append)) + detokenizer.Flush();
        Assert.Equal(Encoding.UTF8.GetString(ids.Select(i => (byte)i).ToArray()), streamed);
    }

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return true;
                }

                i++;
            }
            else if (char.IsLowSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }
}
