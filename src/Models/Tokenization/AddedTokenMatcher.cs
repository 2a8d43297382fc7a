using System.Buffers;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Finds added tokens (special or not) in raw text, leftmost first and longest at a position, so they are
/// never split by pre-tokenization. Scanning skips to candidate first characters with a vectorised search;
/// at a candidate it tries each length that tokens starting with that character have, longest first, by hash
/// lookup, because vocabularies such as Gemma's add thousands of tokens that all start with '&lt;'.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<string, AddedToken>.AlternateLookup<ReadOnlySpan<char>> _byContent;
    private readonly Dictionary<char, int[]> _lengthsByFirstChar;
    private readonly SearchValues<char> _firstChars;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        var byContent = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (var token in tokens.Where(t => t.Content.Length > 0))
        {
            // The first entry for a content wins, as when candidates were tried in order.
            byContent.TryAdd(token.Content, token);
        }

        _byContent = byContent.GetAlternateLookup<ReadOnlySpan<char>>();
        _lengthsByFirstChar = byContent.Keys
            .GroupBy(content => content[0])
            .ToDictionary(g => g.Key, g => g.Select(content => content.Length).Distinct().OrderDescending().ToArray());
        _firstChars = SearchValues.Create([.. _lengthsByFirstChar.Keys]);
    }

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
            foreach (var length in _lengthsByFirstChar[text[position]])
            {
                if (length <= text.Length - position && _byContent.TryGetValue(text.Slice(position, length), out token))
                {
                    index = position;
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
