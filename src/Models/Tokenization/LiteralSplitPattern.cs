namespace LlmQueue.Models.Tokenization;

/// <summary>A Split pattern given as a plain string (tokenizer.json "String"): an ordinal search, no regex.</summary>
internal sealed class LiteralSplitPattern : SplitPattern
{
    private readonly string _literal;

    public LiteralSplitPattern(string literal)
    {
        ArgumentException.ThrowIfNullOrEmpty(literal);
        _literal = literal;
    }

    public override void FindMatches(ReadOnlySpan<char> text, List<Range> matches)
    {
        matches.Clear();
        for (var start = 0; start < text.Length;)
        {
            var found = text[start..].IndexOf(_literal, StringComparison.Ordinal);
            if (found < 0)
            {
                return;
            }

            start += found;
            matches.Add(new Range(start, start + _literal.Length));
            start += _literal.Length;
        }
    }
}
