using System.Text.Json;
using LlmQueue.Models.Templates;
using LlmQueue.TestKit;
using LlmQueue.Models.Tests.Tokenization.Reference;

namespace LlmQueue.Models.Tests.Templates;

/// <summary>Our renderer on the real Gemma 3, Llama 3 and Qwen 3 chat templates against @huggingface/jinja (via node).</summary>
public class RealChatTemplateParityTests
{
    private static readonly Conversation[] s_conversations =
    [
        new("single-user", [("user", "Hello!")], true),
        new("single-user-no-prompt", [("user", "Hello!")], false),
        new("system-and-user", [("system", "You are terse."), ("user", "What is 2+2?")], true),
        new("multi-turn", [("system", "Be kind."), ("user", "Hi"), ("assistant", "Hello! How can I help?"), ("user", "Tell me a joke.")], true),
        new("ends-with-assistant", [("user", "Ping"), ("assistant", "Pong")], false),
        new("unicode-and-whitespace", [("user", "  日本語で答えて 😀\n\n"), ("assistant", "\tمرحبا  e\u0301 👨‍👩‍👧 "), ("user", "next\r\nline ")], true),
        new("qwen-think-block", [("user", "Q"), ("assistant", "<think>\nreasoning\n</think>\n\nanswer"), ("user", "Q2")], true),
        new("roles-not-alternating", [("user", "a"), ("user", "b")], true),
    ];

    private readonly ReferenceToolchain _toolchain = ReferenceToolchain.Shared;

    [Theory]
    [InlineData("gemma3")]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    public void Rendering_equals_huggingface_jinja_on_the_real_template(string family)
    {
        var configPath = Path.Combine(_toolchain.ModelFolder(family), "tokenizer_config.json");
        var template = ChatTemplate.FromTokenizerConfig(configPath);
        var reference = RenderWithReference(configPath);

        Assert.Equal(s_conversations.Length, reference.Count);
        foreach (var (conversation, expected) in s_conversations.Zip(reference))
        {
            if (expected.Error is not null)
            {
                var error = Assert.Throws<TemplateException>(() => template.Render(conversation.Messages, conversation.AddGenerationPrompt));
                Assert.Contains(expected.Error, error.Message, StringComparison.Ordinal);
                Assert.Contains("tokenizer_config.json", error.Message, StringComparison.Ordinal);
                continue;
            }

            var actual = template.Render(conversation.Messages, conversation.AddGenerationPrompt);
            Assert.True(expected.Output == actual, $"{family} / {conversation.Name}:\nreference: {JsonSerializer.Serialize(expected.Output)}\nours:      {JsonSerializer.Serialize(actual)}");
        }
    }

    [Fact]
    public void Gemma_folds_the_system_prompt_into_the_first_user_turn()
    {
        var template = ChatTemplate.FromTokenizerConfig(Path.Combine(_toolchain.ModelFolder("gemma3"), "tokenizer_config.json"));
        var text = template.Render([("system", "SYS"), ("user", "U")], addGenerationPrompt: true);
        Assert.Equal("<bos><start_of_turn>user\nSYS\n\nU<end_of_turn>\n<start_of_turn>model\n", text);
    }

    private List<ReferenceRendering> RenderWithReference(string configPath) =>
        _toolchain.Render(configPath, s_conversations.Select(c => new ReferenceConversation(c.Name, c.Messages, c.AddGenerationPrompt)));

    private sealed record Conversation(string Name, (string Role, string Content)[] Messages, bool AddGenerationPrompt);
}
