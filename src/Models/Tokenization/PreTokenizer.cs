using System.Text.RegularExpressions;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Splits normalized text into pre-token words (ranges into the text) by applying split rules in sequence,
/// as Hugging Face's Split / ByteLevel(use_regex) pre-tokenizers do.
/// </summary>
internal sealed class PreTokenizer
{
    /// <summary>GPT-2's pattern, used by ByteLevel with use_regex.</summary>
    public const string Gpt2Pattern =
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    // An array: enumerating it allocates nothing, per segment.
    private readonly SplitRule[] _rules;

    public PreTokenizer(IEnumerable<SplitRule> rules)
    {
        _rules = [.. rules];
    }

    /// <summary>Replaces <paramref name="pieces"/> with the words of <paramref name="text"/>.</summary>
    public void Split(ReadOnlySpan<char> text, List<Range> pieces, TokenizerScratch scratch)
    {
        pieces.Clear();
        if (text.IsEmpty)
        {
            return;
        }

        pieces.Add(new Range(0, text.Length));
        var staging = scratch.Staging;
        foreach (var rule in _rules)
        {
            staging.Clear();
            staging.AddRange(pieces);
            pieces.Clear();
            foreach (var piece in staging)
            {
                var (offset, length) = piece.GetOffsetAndLength(text.Length);
                SplitPiece(rule, text.Slice(offset, length), offset, pieces, scratch.Matches);
            }
        }
    }

    private static void SplitPiece(SplitRule rule, ReadOnlySpan<char> piece, int offset, List<Range> output, List<Range> matches)
    {
        rule.Pattern.FindMatches(piece, matches);
        var pending = 0;
        foreach (var match in matches)
        {
            var (start, length) = match.GetOffsetAndLength(piece.Length);
            var end = start + length;
            switch (rule.Behavior)
            {
                case SplitBehavior.Isolated:
                    AddIfNotEmpty(output, offset, pending, start);
                    AddIfNotEmpty(output, offset, start, end);
                    pending = end;
                    break;
                case SplitBehavior.Removed:
                    AddIfNotEmpty(output, offset, pending, start);
                    pending = end;
                    break;
                case SplitBehavior.MergedWithPrevious:
                    AddIfNotEmpty(output, offset, pending, end);
                    pending = end;
                    break;
                case SplitBehavior.MergedWithNext:
                    AddIfNotEmpty(output, offset, pending, start);
                    pending = start;
                    break;
                default:
                    throw new InvalidOperationException($"Unknown split behavior {rule.Behavior}.");
            }
        }

        AddIfNotEmpty(output, offset, pending, piece.Length);
    }

    private static void AddIfNotEmpty(List<Range> output, int offset, int start, int end)
    {
        if (end > start)
        {
            output.Add(new Range(offset + start, offset + end));
        }
    }

    public static Regex CompilePattern(string pattern) =>
        new(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
}
