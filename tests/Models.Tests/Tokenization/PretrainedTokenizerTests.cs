using System.Text.Json;
using LlmQueue.TestKit;
using LlmQueue.Models.Tests.Tokenization.Reference;
using LlmQueue.Models.Tokenization;

namespace LlmQueue.Models.Tests.Tokenization;

public class PretrainedTokenizerTests
{
    private readonly ReferenceToolchain _toolchain = ReferenceToolchain.Shared;

    [Theory]
    [InlineData("gemma3")]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    public void A_model_folder_gives_tokenizer_template_and_bos_eos_in_one_call(string family)
    {
        var folder = _toolchain.ModelFolder(family);
        var pretrained = PretrainedTokenizer.FromFolder(folder);

        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "tokenizer_config.json")));
        Assert.Equal(TokenContent(config.RootElement, "eos_token"), pretrained.EosToken);
        Assert.Equal(TokenContent(config.RootElement, "bos_token"), pretrained.BosToken);
        Assert.NotNull(pretrained.EosTokenId);
        Assert.Equal(pretrained.EosToken, pretrained.Tokenizer.IdToToken(pretrained.EosTokenId.Value));
        Assert.NotNull(pretrained.ChatTemplate);
        Assert.Equal(_toolchain.Tokenizer(family).Encode("Hello <b>world</b>"), pretrained.Tokenizer.Encode("Hello <b>world</b>"));
    }

    [Fact]
    public void Added_tokens_the_config_declares_are_added_and_its_special_tokens_are_special()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("tokenizer.json"), HandBuiltTokenizer.Json(mergesAsArrays: true));
        File.WriteAllText(folder.File("tokenizer_config.json"), JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            // "<tool>" is new; id 11 is "<s>" already; "abc" is a vocabulary token the config calls eos.
            ["added_tokens_decoder"] = new Dictionary<string, object>
            {
                ["14"] = new { content = "<tool>", special = false },
                ["11"] = new { content = "<s>", special = true },
            },
            ["eos_token"] = new { content = "abc" },
            ["bos_token"] = "<s>",
            ["chat_template"] = null,
        }));

        var pretrained = PretrainedTokenizer.FromFolder(folder.Path);

        Assert.Equal([0, 14, 1], pretrained.Tokenizer.Encode("a<tool>b", addSpecialTokens: false));
        Assert.Equal((11, 7), (pretrained.BosTokenId, pretrained.EosTokenId));
        Assert.True(pretrained.Tokenizer.IsSpecial(7));
        Assert.False(pretrained.Tokenizer.IsSpecial(14));
        Assert.Null(pretrained.ChatTemplate);
    }

    [Fact]
    public void A_folder_without_config_is_tokenizer_json_alone_and_a_bad_config_names_the_file()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("tokenizer.json"), HandBuiltTokenizer.Json(mergesAsArrays: true));
        var plain = PretrainedTokenizer.FromFolder(folder.Path);
        Assert.Equal([5], plain.Tokenizer.Encode("ab", addSpecialTokens: false));
        Assert.Null(plain.ChatTemplate);

        File.WriteAllText(folder.File("tokenizer_config.json"), "{\"added_tokens_decoder\": {\"x\": {}}}");
        var error = Assert.Throws<TokenizerFormatException>(() => PretrainedTokenizer.FromFolder(folder.Path));
        Assert.Contains("tokenizer_config.json: added_tokens_decoder[\"x\"]", error.Message, StringComparison.Ordinal);
    }

    private static string? TokenContent(JsonElement root, string key) =>
        !root.TryGetProperty(key, out var token) ? null
        : token.ValueKind == JsonValueKind.String ? token.GetString()
        : token.ValueKind == JsonValueKind.Object ? token.GetProperty("content").GetString()
        : null;
}
