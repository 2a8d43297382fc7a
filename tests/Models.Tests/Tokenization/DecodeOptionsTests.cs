using System.Text;
using LlmQueue.Models.Tokenization;

namespace LlmQueue.Models.Tests.Tokenization;

public class DecodeOptionsTests
{
    private static readonly Tokenizer s_tokenizer = SyntheticTokenizer.Create(1000);

    // The synthetic vocabulary's first 256 ids are the single bytes.
    private static readonly int[] s_brokenUtf8 = ['h', 'i', 0xE2, 0x82];

    [Fact]
    public void Skip_special_tokens_leaves_out_bos_and_eos_only()
    {
        var bos = SyntheticTokenizer.BosTokenId(1000);
        var eos = SyntheticTokenizer.EosTokenId(1000);
        var ids = s_tokenizer.Encode("hello world").Append(eos).ToList();

        Assert.Equal(SyntheticTokenizer.BosToken + "hello world" + SyntheticTokenizer.EosToken, s_tokenizer.Decode(ids));
        Assert.Equal("hello world", s_tokenizer.Decode(ids, new DecodeOptions { SkipSpecialTokens = true }));
        Assert.True(s_tokenizer.IsSpecial(bos) && s_tokenizer.IsSpecial(eos) && !s_tokenizer.IsSpecial(ids[1]));
    }

    [Fact]
    public void Invalid_utf8_is_replaced_by_default_and_an_error_when_asked()
    {
        Assert.Equal("hi\uFFFD", s_tokenizer.Decode(s_brokenUtf8));
        Assert.Throws<DecoderFallbackException>(() => s_tokenizer.Decode(s_brokenUtf8, new DecodeOptions { InvalidUtf8 = InvalidUtf8Handling.Error }));
        Assert.Equal("hi€", s_tokenizer.Decode([.. s_brokenUtf8, 0xAC], new DecodeOptions { InvalidUtf8 = InvalidUtf8Handling.Error }));
    }

    [Fact]
    public void A_stream_reports_invalid_utf8_only_once_it_is_certain()
    {
        var stream = new OutputTextStream(s_tokenizer, []);
        foreach (var id in s_brokenUtf8)
        {
            stream.Append(id);
        }

        // An incomplete character at the end may still be completed by the next token.
        Assert.False(stream.HadInvalidUtf8);
        stream.Append(0xAC);
        Assert.False(stream.HadInvalidUtf8);
        stream.Append(0xE2);
        Assert.Equal(string.Empty, stream.Flush().TrimEnd('\uFFFD'));
        Assert.True(stream.HadInvalidUtf8);
        Assert.Equal("hi€\uFFFD", stream.Text);
    }

    [Fact]
    public void A_stream_that_skips_special_tokens_streams_only_text()
    {
        var stream = new OutputTextStream(s_tokenizer, [], skipSpecialTokens: true);
        var deltas = s_tokenizer.Encode("ok").Append(SyntheticTokenizer.EosTokenId(1000)).Select(id => stream.Append(id).Delta).ToList();
        Assert.Equal("ok", string.Concat(deltas) + stream.Flush());
    }
}
