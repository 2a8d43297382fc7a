using System.Text.RegularExpressions;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Any other regex pattern, run by .NET's regex engine. Text with characters outside the BMP is matched through
/// <see cref="AstralStandIns"/>, so that \p{L} and friends see code points as Hugging Face's engines do.
/// </summary>
internal sealed class RegexSplitPattern : SplitPattern
{
    private readonly Regex _regex;

    public RegexSplitPattern(Regex regex)
    {
        _regex = regex;
    }

    public override void FindMatches(ReadOnlySpan<char> text, List<Range> matches)
    {
        if (!AstralStandIns.Needed(text))
        {
            AddMatches(text, matches);
            return;
        }

        var (standIn, originalIndex) = AstralStandIns.Create(text);
        AddMatches(standIn, matches);
        for (var i = 0; i < matches.Count; i++)
        {
            matches[i] = AstralStandIns.ToOriginal(matches[i], originalIndex, standIn.Length);
        }
    }

    private void AddMatches(ReadOnlySpan<char> text, List<Range> matches)
    {
        matches.Clear();
        foreach (var match in _regex.EnumerateMatches(text))
        {
            if (match.Length > 0)
            {
                matches.Add(new Range(match.Index, match.Index + match.Length));
            }
        }
    }
}
