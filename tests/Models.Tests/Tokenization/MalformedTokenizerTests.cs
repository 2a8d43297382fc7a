using System.Text.Json;
using LlmQueue.Models.Tokenization;
using Xunit;

namespace LlmQueue.Models.Tests.Tokenization;

public class MalformedTokenizerTests
{
    private const string Source = "models/bad/tokenizer.json";

    [Fact]
    public void Invalid_json_names_the_file()
    {
        var ex = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson("{\"model\": ", Source));
        Assert.StartsWith(Source + ": not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_model_type_is_named()
    {
        var message = Load(doc => Model(doc)["type"] = "WordPiece");
        Assert.Contains("model.type \"WordPiece\" is not supported", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_naming_an_unknown_token_is_named_with_its_index()
    {
        var message = Load(doc => Model(doc)["merges"] = new[] { "a b", "a q" });
        Assert.Contains("model.merges[1]: \"q\" is not in model.vocab", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_whose_result_is_missing_from_the_vocabulary_is_named()
    {
        var message = Load(doc => Model(doc)["merges"] = new[] { new[] { "d", "a" } });
        Assert.Contains("model.merges[0]: the merged token \"da\" is not in model.vocab", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_string_without_a_separator_is_named()
    {
        var message = Load(doc => Model(doc)["merges"] = new[] { "ab" });
        Assert.Contains("model.merges[0]: \"ab\" is not of the form", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_vocab_is_named()
    {
        var message = Load(doc => Model(doc).Remove("vocab"));
        Assert.Contains("model.vocab is missing", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_model_is_named()
    {
        var message = Load(doc => doc.Remove("model"));
        Assert.Contains("model is missing", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_integer_vocab_id_is_named()
    {
        var message = Load(doc => Model(doc)["vocab"] = new Dictionary<string, object> { ["a"] = "zero" });
        Assert.Contains("model.vocab[\"a\"] must be a non-negative integer id", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_pre_tokenizer_is_named()
    {
        var message = Load(doc => doc["pre_tokenizer"] = new { type = "Whitespace" });
        Assert.Contains("pre_tokenizer.type \"Whitespace\" is not a supported pre-tokenizer", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Regex_that_does_not_compile_is_named()
    {
        var message = Load(doc => doc["pre_tokenizer"] = new
        {
            type = "Split",
            pattern = new { Regex = "([a-z" },
            behavior = "Isolated",
        });
        Assert.Contains("pre_tokenizer.pattern.Regex cannot be compiled", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Template_naming_an_undefined_special_token_is_named()
    {
        var message = Load(doc => doc["post_processor"] = new
        {
            type = "TemplateProcessing",
            single = new object[] { new { SpecialToken = new { id = "<bos>", type_id = 0 } } },
            special_tokens = new Dictionary<string, object>(),
        });
        Assert.Contains("post_processor.single[0]: \"<bos>\" is not in post_processor.special_tokens", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_a_format_error_naming_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}", "tokenizer.json");
        var ex = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromFile(path));
        Assert.StartsWith(path, ex.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, object?> Model(Dictionary<string, object?> doc) =>
        (Dictionary<string, object?>)doc["model"]!;

    private static string Load(Action<Dictionary<string, object?>> corrupt)
    {
        var doc = HandBuiltTokenizer.Document(mergesAsArrays: false);
        corrupt(doc);
        var ex = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson(JsonSerializer.Serialize(doc), Source));
        Assert.StartsWith(Source + ": ", ex.Message, StringComparison.Ordinal);
        return ex.Message;
    }
}
