using System.Buffers;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Finds added tokens (special or not) in raw text, leftmost first and longest at a position, so they are
/// never split by pre-tokenization. Scanning skips to candidate first characters with a vectorised search; at a
/// candidate it walks a character trie, so the cost is the length of the longest partial match, whatever the
/// number of tokens (Gemma adds 6,415, thousands of them starting with '&lt;', and 31 runs of '\n').
/// </summary>
internal sealed class AddedTokenMatcher
{
    private const int Root = 0;

    // Trie edges keyed by (node << 16) | character; a node's token, if one ends there, in _tokenAt.
    private readonly Dictionary<long, int> _edges = [];
    private readonly List<int> _tokenAt = [-1];
    private readonly AddedToken[] _tokens;
    private readonly SearchValues<char> _firstChars;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        var unique = new List<AddedToken>();
        var firstChars = new HashSet<char>();
        foreach (var token in tokens.Where(t => t.Content.Length > 0))
        {
            var node = Root;
            foreach (var c in token.Content)
            {
                node = Child(node, c);
            }

            // The first entry for a content wins, as when candidates were tried in order.
            if (_tokenAt[node] < 0)
            {
                _tokenAt[node] = unique.Count;
                unique.Add(token);
                firstChars.Add(token.Content[0]);
            }
        }

        _tokens = [.. unique];
        _firstChars = SearchValues.Create([.. firstChars]);
    }

    public IReadOnlyList<AddedToken> Tokens => _tokens;

    /// <summary>The leftmost-longest added token at or after <paramref name="start"/>, or false if none.</summary>
    public bool TryFindNext(ReadOnlySpan<char> text, int start, out int index, out AddedToken token)
    {
        if (_tokens.Length > 0)
        {
            for (var position = start; position < text.Length; position++)
            {
                var offset = text[position..].IndexOfAny(_firstChars);
                if (offset < 0)
                {
                    break;
                }

                position += offset;
                if (LongestAt(text, position) is var found and >= 0)
                {
                    index = position;
                    token = _tokens[found];
                    return true;
                }
            }
        }

        index = -1;
        token = default;
        return false;
    }

    /// <summary>The index of the longest token that starts at <paramref name="position"/>, or -1.</summary>
    private int LongestAt(ReadOnlySpan<char> text, int position)
    {
        var found = -1;
        var node = Root;
        for (var i = position; i < text.Length && _edges.TryGetValue(((long)node << 16) | text[i], out node); i++)
        {
            if (_tokenAt[node] >= 0)
            {
                found = _tokenAt[node];
            }
        }

        return found;
    }

    private int Child(int node, char c)
    {
        var key = ((long)node << 16) | c;
        if (!_edges.TryGetValue(key, out var child))
        {
            child = _tokenAt.Count;
            _tokenAt.Add(-1);
            _edges.Add(key, child);
        }

        return child;
    }
}
