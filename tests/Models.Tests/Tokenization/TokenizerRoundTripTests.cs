using LlmQueue.Models.Tokenization;
using Xunit;

namespace LlmQueue.Models.Tests.Tokenization;

public class TokenizerRoundTripTests
{
    internal static readonly Tokenizer Synthetic = SyntheticTokenizer.Create(4096);

    public static TheoryData<string> Texts => new()
    {
        "The quick brown fox jumps over the lazy dog.",
        "I'm sure you'll see we've DONE it. It's HE'S",
        "def foo(x):\n    return x**2 + 12345678  # comment\n\tindented\r\n",
        "日本語のテキストです。中文文本。",
        "مرحبا بالعالم",
        "emoji 😀👍🏽 family 👨‍👩‍👧 flags 🇺🇸",
        "combining e\u0301 a\u0308 café naïve",
        "   leading   and trailing   \n\n\n  \t ",
        "𝐀𝐁𝐂 math bold and 𠀀 from extension B",
        "numbers 1 12 123 1234 12345 3.14159 -7e10",
        string.Empty,
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Decode_of_encode_is_the_original_text(string text)
    {
        var ids = Synthetic.Encode(text, addSpecialTokens: false);
        Assert.Equal(text, Synthetic.Decode(ids));
    }

    [Fact]
    public void Encoding_is_the_same_with_a_warm_word_cache()
    {
        const string text = "the same words, the same words, the same words";
        var fresh = SyntheticTokenizer.Create(4096);
        Assert.Equal(fresh.Encode(text), fresh.Encode(text));
        Assert.Equal(fresh.Encode(text), Synthetic.Encode(text));
    }
}
