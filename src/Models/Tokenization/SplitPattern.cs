namespace LlmQueue.Models.Tokenization;

/// <summary>What a Split pre-tokenizer (or ByteLevel with use_regex) looks for in a piece of text.</summary>
internal abstract class SplitPattern
{
    /// <summary>Replaces <paramref name="matches"/> with the non-empty matches in <paramref name="text"/>, left to right.</summary>
    public abstract void FindMatches(ReadOnlySpan<char> text, List<Range> matches);

    /// <summary>A regex pattern; the ones Llama 3 and Qwen 2/3 use get a hand-written scanner with the same matches.</summary>
    public static SplitPattern FromRegex(string pattern) =>
        (SplitPattern?)Cl100kSplitPattern.TryCreate(pattern) ?? new RegexSplitPattern(PreTokenizer.CompilePattern(pattern));

    public static SplitPattern Literal(string literal) => new LiteralSplitPattern(literal);
}
