using System.Text.RegularExpressions;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Splits normalized text into pre-token words (ranges into the text) by applying regex split rules in
/// sequence, as Hugging Face's Split / ByteLevel(use_regex) pre-tokenizers do.
/// </summary>
internal sealed class PreTokenizer
{
    /// <summary>GPT-2's pattern, used by ByteLevel with use_regex.</summary>
    public const string Gpt2Pattern =
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly IReadOnlyList<SplitRule> _rules;
    private readonly bool _addPrefixSpace;

    public PreTokenizer(IReadOnlyList<SplitRule> rules, bool addPrefixSpace)
    {
        _rules = rules;
        _addPrefixSpace = addPrefixSpace;
    }

    /// <summary>Applies text-level changes (ByteLevel's add_prefix_space) before splitting.</summary>
    public string Prepare(string segment) =>
        _addPrefixSpace && !segment.StartsWith(' ') ? " " + segment : segment;

    public void Split(ReadOnlySpan<char> text, List<Range> pieces)
    {
        if (_rules.Count > 0 && AstralStandIns.Needed(text))
        {
            SplitWithStandIns(text, pieces);
            return;
        }

        SplitBmp(text, pieces);
    }

    private void SplitWithStandIns(ReadOnlySpan<char> text, List<Range> pieces)
    {
        var (standIn, originalIndex) = AstralStandIns.Create(text);
        SplitBmp(standIn, pieces);
        for (var i = 0; i < pieces.Count; i++)
        {
            pieces[i] = AstralStandIns.ToOriginal(pieces[i], originalIndex, standIn.Length);
        }
    }

    private void SplitBmp(ReadOnlySpan<char> text, List<Range> pieces)
    {
        pieces.Clear();
        if (text.IsEmpty)
        {
            return;
        }

        pieces.Add(new Range(0, text.Length));
        if (_rules.Count == 0)
        {
            return;
        }

        var scratch = new List<Range>();
        foreach (var rule in _rules)
        {
            scratch.Clear();
            foreach (var piece in pieces)
            {
                var (offset, length) = piece.GetOffsetAndLength(text.Length);
                SplitPiece(rule, text.Slice(offset, length), offset, scratch);
            }

            pieces.Clear();
            pieces.AddRange(scratch);
        }
    }

    private static void SplitPiece(SplitRule rule, ReadOnlySpan<char> piece, int offset, List<Range> output)
    {
        var pending = 0;
        foreach (var match in rule.Pattern.EnumerateMatches(piece))
        {
            if (match.Length == 0)
            {
                continue;
            }

            var end = match.Index + match.Length;
            switch (rule.Behavior)
            {
                case SplitBehavior.Isolated:
                    AddIfNotEmpty(output, offset, pending, match.Index);
                    AddIfNotEmpty(output, offset, match.Index, end);
                    pending = end;
                    break;
                case SplitBehavior.Removed:
                    AddIfNotEmpty(output, offset, pending, match.Index);
                    pending = end;
                    break;
                case SplitBehavior.MergedWithPrevious:
                    AddIfNotEmpty(output, offset, pending, end);
                    pending = end;
                    break;
                case SplitBehavior.MergedWithNext:
                    AddIfNotEmpty(output, offset, pending, match.Index);
                    pending = match.Index;
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
