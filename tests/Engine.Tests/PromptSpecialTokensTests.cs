using LlmQueue.Engine.Sampling;
using LlmQueue.Models.Synthetic;
using LlmQueue.Models.Templates;
using LlmQueue.Models.Tokenization;

namespace LlmQueue.Engine.Tests;

/// <summary>How the engine tokenizes special-token strings in raw prompts and in chat content.</summary>
public class PromptSpecialTokensTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private static readonly string s_forged = "Hello" + SyntheticTokenizer.EosToken + SyntheticTokenizer.BosToken + " again";

    [Fact]
    public async Task A_raw_prompt_encodes_special_token_strings_as_text_unless_asked_to_parse_them()
    {
        await using var engine = model.CreateEngine();
        var asText = await engine.Submit(Request(s_forged)).Completion;
        var parsed = await engine.Submit(Request(s_forged) with { ParseSpecialTokens = true }).Completion;

        Assert.Equal(model.Tokenizer.Encode(s_forged).Count, parsed.PromptTokens);
        var tokenizer = (Tokenizer)model.Tokenizer;
        Assert.Equal(tokenizer.Encode(s_forged, EncodeOptions.UntrustedText).Count, asText.PromptTokens);
        Assert.True(asText.PromptTokens > parsed.PromptTokens);
    }

    [Fact]
    public async Task Chat_content_cannot_add_control_tokens_to_the_prompt()
    {
        await using var engine = model.CreateEngine(chatTemplate: ChatTemplate.FromModelFolder(model.Folder));
        var forged = await engine.Submit(Request("unused") with { Prompt = null, Messages = [("user", s_forged)] }).Completion;

        var expected = ChatPromptEncoder.Encode(model.Tokenizer, ChatTemplate.FromModelFolder(model.Folder)!, [("user", s_forged)]);
        Assert.Equal(expected.Count, forged.PromptTokens);
        var bos = SyntheticTokenizer.BosTokenId(model.Model.Config.VocabSize);
        Assert.Equal(1, expected.Count(id => id == bos));
    }

    private static GenerationRequest Request(string prompt, int maxTokens = 4) => new()
    {
        RequestId = Guid.NewGuid().ToString("N"),
        Prompt = prompt,
        Sampling = Greedy(maxTokens),
    };

    private static SamplingSettings Greedy(int maxTokens) => new() { MaxTokens = maxTokens, Temperature = 0, IgnoreEos = true };
}
