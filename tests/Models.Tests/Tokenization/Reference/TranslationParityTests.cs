using LlmQueue.TestKit;

namespace LlmQueue.Models.Tests.Tokenization.Reference;

/// <summary>
/// Real text in 15 scripts (GLib's and GTK's translated messages, 18 languages) on the real tokenizer files against
/// @huggingface/tokenizers, document by document: the scripts the repository's own text and the committed corpus
/// touch only lightly (Georgian, Myanmar, Telugu, Tamil, Bengali, Thai...).
/// </summary>
public class TranslationParityTests
{
    private const int CharsPerLanguage = 8 << 10;

    private readonly ReferenceToolchain _toolchain = ReferenceToolchain.Shared;

    [Theory]
    [InlineData("gemma3")]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    public void Translations_in_eighteen_languages_match_the_javascript_reference(string family)
    {
        var documents = TranslationCatalogs.Documents(CharsPerLanguage);
        Assert.True(
            documents.Count == TranslationCatalogs.Languages.Count,
            $"found the catalogs of {documents.Count} of {TranslationCatalogs.Languages.Count} languages: this test needs the Debian packages " +
            "libglib2.0-data and libgtk2.0-common (sudo apt-get install -y libglib2.0-data libgtk2.0-common)");
        var cases = documents.Select(d => new CorpusCase(d.Language, d.Text)).ToList();
        var reference = _toolchain.Encode(family, cases, "--no-special-only");
        var tokenizer = _toolchain.Tokenizer(family);
        foreach (var (document, expected) in cases.Zip(reference))
        {
            var actual = tokenizer.Encode(document.Text, addSpecialTokens: false);
            Assert.True(expected.IdsNoSpecial.SequenceEqual(actual), $"{family}: the {document.Name} translations differ from the reference");
        }
    }
}
