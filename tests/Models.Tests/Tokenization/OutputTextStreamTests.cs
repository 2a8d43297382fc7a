using System.Text;
using LlmQueue.Models.Tokenization;
using Xunit;

namespace LlmQueue.Models.Tests.Tokenization;

public class OutputTextStreamTests
{
    private static Tokenizer Synthetic => TokenizerRoundTripTests.Synthetic;

    [Fact]
    public void Stop_string_across_token_boundaries_is_withheld_then_cut()
    {
        const string text = "The answer is 42.\n\nQuestion: what next?";
        var stream = new OutputTextStream(Synthetic, ["\n\nQuestion:"]);
        var emitted = new StringBuilder();
        var stopped = false;
        foreach (var id in Synthetic.Encode(text, addSpecialTokens: false))
        {
            var (delta, hit) = stream.Append(id);
            emitted.Append(delta);
            Assert.DoesNotContain("\n\nQ", emitted.ToString(), StringComparison.Ordinal);
            if (hit)
            {
                stopped = true;
                break;
            }
        }

        Assert.True(stopped);
        Assert.Equal("The answer is 42.", emitted.ToString());
        Assert.Equal("The answer is 42.", stream.Text);
        Assert.Equal(string.Empty, stream.Flush());
    }

    [Fact]
    public void Without_a_stop_the_flushed_output_is_the_decoded_text()
    {
        const string text = "partial stop stri 日本 😀";
        var ids = Synthetic.Encode(text, addSpecialTokens: false);
        var stream = new OutputTextStream(Synthetic, ["stop string"]);
        var emitted = string.Concat(ids.Select(id => stream.Append(id).Delta)) + stream.Flush();
        Assert.Equal(text, emitted);
        Assert.Equal(text, stream.Text);
        Assert.False(stream.Stopped);
    }

    [Fact]
    public void Stop_string_within_one_token_is_cut()
    {
        var tokenizer = SyntheticTokenizer.Create(SyntheticTokenizer.MinVocabSize);
        var stream = new OutputTextStream(tokenizer, ["b"]);
        Assert.Equal(new OutputDelta("a", false), stream.Append('a'));
        Assert.Equal(new OutputDelta(string.Empty, true), stream.Append('b'));
        Assert.Equal("a", stream.Text);
        Assert.Equal("b", stream.MatchedStopString);
    }
}
