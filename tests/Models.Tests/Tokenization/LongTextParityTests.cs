using System.Globalization;
using System.Text;
using System.Text.Json;
using LlmQueue.Models.Tests.Tokenization.Reference;
using LlmQueue.Models.Tokenization;
using Xunit;

namespace LlmQueue.Models.Tests.Tokenization;

/// <summary>
/// Long inputs on the real tokenizer files against @huggingface/tokenizers. Gemma sees each line as one
/// '▁'-joined word, so these exercise long merges and the cutting of words at '▁' (including "&lt;br&gt; &lt;/p&gt;",
/// which Gemma encodes with its "&gt;▁&lt;/" token, across a word mark).
/// </summary>
public class LongTextParityTests
{
    private readonly ReferenceToolchain _toolchain = ReferenceToolchain.Shared;

    [Theory]
    [InlineData("gemma3")]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    public void Long_lines_match_the_javascript_reference(string family)
    {
        var cases = LongCases();
        var reference = _toolchain.Encode(family, cases, "--no-special-only");
        var tokenizer = _toolchain.Tokenizer(family);
        foreach (var (text, expected) in cases.Zip(reference))
        {
            var actual = tokenizer.Encode(text.Text, addSpecialTokens: false);
            Assert.True(expected.IdsNoSpecial.SequenceEqual(actual), $"{family}: '{text.Name}' differs from the reference");
        }
    }

    private static List<CorpusCase> LongCases()
    {
        var prose = string.Join(' ', SyntheticCorpus.Text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        var markup = new StringBuilder();
        for (var i = 0; i < 40; i++)
        {
            markup.Append(CultureInfo.InvariantCulture, $"<p class=\"x{i}\">item {i}</p> <b> </b>  <br> </p> x> </y> ]]> </div> ");
        }

        return
        [
            new("prose-one-line", prose),
            new("markup", markup.ToString()),
            new("cjk-run", string.Concat(Enumerable.Repeat("我们今天去北京天安门广场日本語のテキストカタカナとひらがな한국어문장", 40))),
            new("space-runs", string.Concat(Enumerable.Range(1, 60).Select(i => new string(' ', i % 7) + "word" + i))),
            new("no-spaces", string.Concat(Enumerable.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", 80))),
        ];
    }
}
