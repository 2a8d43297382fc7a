using System.Text;
using System.Text.Json;

namespace LlmQueue.Models.Tests.Tokenization.Reference;

/// <summary>
/// Our tokenizer on the real Gemma 3, Llama 3 and Qwen 3 tokenizer files against @huggingface/tokenizers
/// (run through node) over the committed multilingual corpus.
/// </summary>
public class RealTokenizerParityTests
{
    private readonly ReferenceToolchain _toolchain = ReferenceToolchain.Shared;

    [Theory]
    [InlineData("gemma3")]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    public void Ids_equal_the_javascript_reference_with_and_without_special_tokens(string family)
    {
        var tokenizer = _toolchain.Tokenizer(family);
        var corpus = CorpusCase.Load(_toolchain.RepositoryRoot);
        var reference = ReferenceEncodings(family);
        Assert.Equal(corpus.Select(c => c.Name), reference.Select(r => r.Name));

        var mismatches = new List<string>();
        foreach (var (text, expected) in corpus.Zip(reference))
        {
            CompareIds(mismatches, expected.Name + " (special tokens)", expected.Ids, tokenizer.Encode(text.Text, addSpecialTokens: true));
            CompareIds(mismatches, expected.Name, expected.IdsNoSpecial, tokenizer.Encode(text.Text, addSpecialTokens: false));
        }

        Assert.True(mismatches.Count == 0, $"{family}: {mismatches.Count} mismatches:\n{string.Join('\n', mismatches)}");
    }

    [Theory]
    [InlineData("gemma3", false)]
    [InlineData("llama3", false)]
    [InlineData("qwen3", true)]
    public void Decode_of_encode_is_the_text_as_normalized(string family, bool normalizesToNfc)
    {
        var tokenizer = _toolchain.Tokenizer(family);
        foreach (var text in CorpusCase.Load(_toolchain.RepositoryRoot))
        {
            // Qwen's normalizer composes combining marks, so its round trip is the NFC form of the text.
            var expected = normalizesToNfc ? text.Text.Normalize(NormalizationForm.FormC) : text.Text;
            Assert.True(
                expected == tokenizer.Decode(tokenizer.Encode(text.Text, addSpecialTokens: false)),
                $"{family}: round trip of '{text.Name}' differs");
        }
    }

    private List<ReferenceEncoding> ReferenceEncodings(string family)
    {
        var json = _toolchain.RunScript("encode.mjs", _toolchain.ModelFolder(family), CorpusCase.CorpusPath(_toolchain.RepositoryRoot));
        return JsonSerializer.Deserialize<List<ReferenceEncoding>>(json, JsonSerializerOptions.Web)
            ?? throw new InvalidDataException("encode.mjs printed null.");
    }

    private static void CompareIds(List<string> mismatches, string caseName, int[] expected, IReadOnlyList<int> actual)
    {
        var common = Math.Min(expected.Length, actual.Count);
        var first = 0;
        while (first < common && expected[first] == actual[first])
        {
            first++;
        }

        if (first == common && expected.Length == actual.Count)
        {
            return;
        }

        mismatches.Add(
            $"  {caseName}: first difference at index {first} of {expected.Length} (reference) / {actual.Count} (ours); " +
            $"reference [{Window(expected, first)}] ours [{Window(actual, first)}]");
    }

    private static string Window(IReadOnlyList<int> ids, int from) =>
        string.Join(", ", ids.Skip(Math.Max(0, from - 2)).Take(8));
}
