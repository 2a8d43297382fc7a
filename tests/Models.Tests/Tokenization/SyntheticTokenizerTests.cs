using System.Text.Json;
using LlmQueue.Models.Tokenization;
using Xunit;

namespace LlmQueue.Models.Tests.Tokenization;

public class SyntheticTokenizerTests
{
    [Theory]
    [InlineData(SyntheticTokenizer.MinVocabSize)]
    [InlineData(1000)]
    [InlineData(32000)]
    public void Has_exactly_the_requested_vocabulary_with_dense_ids(int vocabSize)
    {
        var tokenizer = SyntheticTokenizer.Create(vocabSize);
        Assert.Equal(vocabSize, tokenizer.VocabSize);
        var names = Enumerable.Range(0, vocabSize).Select(tokenizer.IdToToken).ToList();
        Assert.All(names, Assert.NotNull);
        Assert.Equal(vocabSize, names.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Special_tokens_are_the_last_ids_and_bos_is_prepended()
    {
        const int vocabSize = 2000;
        var tokenizer = SyntheticTokenizer.Create(vocabSize);
        Assert.Equal(SyntheticTokenizer.BosTokenId(vocabSize), tokenizer.TokenToId(SyntheticTokenizer.BosToken));
        Assert.Equal(SyntheticTokenizer.EosTokenId(vocabSize), tokenizer.TokenToId(SyntheticTokenizer.EosToken));
        Assert.Equal(vocabSize - 2, tokenizer.Encode("hello")[0]);
        Assert.Equal([vocabSize - 1], tokenizer.Encode(SyntheticTokenizer.EosToken, addSpecialTokens: false));
    }

    [Fact]
    public void Learned_merges_compress_english()
    {
        var tokenizer = SyntheticTokenizer.Create(4096);
        const string text = "The people of the village said that he knew the water better than anyone else.";
        Assert.True(tokenizer.Encode(text, addSpecialTokens: false).Count < text.Length / 3);
    }

    [Fact]
    public void Is_deterministic()
    {
        Assert.Equal(SyntheticTokenizer.BuildJson(3000), SyntheticTokenizer.BuildJson(3000));
    }

    [Fact]
    public void Json_has_the_llama3_pipeline()
    {
        using var doc = JsonDocument.Parse(SyntheticTokenizer.BuildJson(600));
        var root = doc.RootElement;
        Assert.Equal("Split", root.GetProperty("pre_tokenizer").GetProperty("pretokenizers")[0].GetProperty("type").GetString());
        Assert.Equal("ByteLevel", root.GetProperty("decoder").GetProperty("type").GetString());
        Assert.Equal("TemplateProcessing", root.GetProperty("post_processor").GetProperty("type").GetString());
        Assert.Equal(598, root.GetProperty("model").GetProperty("vocab").EnumerateObject().Count());
    }

    [Fact]
    public void Too_small_a_vocabulary_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticTokenizer.BuildJson(SyntheticTokenizer.MinVocabSize - 1));
    }
}
