using System.Buffers;

namespace LlmQueue.Engine.Tokenization;

/// <summary>
/// Finds added tokens (special or not) in raw text, leftmost first and longest at a position, so they are
/// never split by pre-tokenization. Scanning skips to candidate first characters with a vectorised search.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;
    private readonly SearchValues<char> _firstChars;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
        _firstChars = SearchValues.Create([.. _byFirstChar.Keys]);
    }

    public bool IsEmpty => _byFirstChar.Count == 0;

    /// <summary>The leftmost-longest added token at or after <paramref name="start"/>, or false if none.</summary>
    public bool TryFindNext(ReadOnlySpan<char> text, int start, out int index, out AddedToken token)
    {
        var position = start;
        while (position < text.Length)
        {
            var offset = text[position..].IndexOfAny(_firstChars);
            if (offset < 0)
            {
                break;
            }

            position += offset;
            foreach (var candidate in _byFirstChar[text[position]])
            {
                if (text[position..].StartsWith(candidate.Content, StringComparison.Ordinal))
                {
                    index = position;
                    token = candidate;
                    return true;
                }
            }

            position++;
        }

        index = -1;
        token = default;
        return false;
    }
}
