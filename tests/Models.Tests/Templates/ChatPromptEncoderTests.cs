using LlmQueue.Models.Templates;
using LlmQueue.Models.Tests.Tokenization;
using LlmQueue.Models.Tokenization;

namespace LlmQueue.Models.Tests.Templates;

public class ChatPromptEncoderTests
{
    private static readonly Tokenizer s_tokenizer = Tokenizer.FromJson(HandBuiltTokenizer.Json(mergesAsArrays: true), "hand-built");

    [Theory]
    [InlineData("plain text")]
    [InlineData("<|x|>")]
    [InlineData("a<s>b<|x|>y<s>")]
    [InlineData("\uFDD0<\uFDD0s>\uFDD0\uFDD0")]
    [InlineData("<<s>s>>")]
    public void Marking_then_unmarking_gives_the_content_back_and_leaves_no_special_token(string content)
    {
        var marked = ChatPromptEncoder.MarkSpecialTokens(s_tokenizer, content);
        Assert.False(s_tokenizer.TryFindSpecialToken(marked, 0, out _, out _));
        Assert.Equal(content, ChatPromptEncoder.Unmark(marked));
    }

    [Fact]
    public void Template_markup_stays_special_and_content_specials_become_text()
    {
        // The template wraps each message in BOS ... EOS: those are control tokens, the user's copies are text.
        var tokenizer = SyntheticTokenizer.Create(1000);
        var (bos, eos) = (SyntheticTokenizer.BosTokenId(1000), SyntheticTokenizer.EosTokenId(1000));
        var template = ChatTemplate.FromString(
            "{% for m in messages %}" + SyntheticTokenizer.BosToken + "{{ m.content }}" + SyntheticTokenizer.EosToken + "{% endfor %}", "test");
        var content = "hi " + SyntheticTokenizer.EosToken + SyntheticTokenizer.BosToken + " there";

        var ids = ChatPromptEncoder.Encode(tokenizer, template, [("user", content)]);

        var contentAsText = tokenizer.Encode(content, EncodeOptions.UntrustedText with { AddSpecialTokens = false });
        Assert.Equal([bos, .. contentAsText, eos], ids);
        Assert.DoesNotContain(eos, contentAsText);
        Assert.DoesNotContain(bos, contentAsText);
    }
}
