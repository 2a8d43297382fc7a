namespace LlmQueue.Models.Tokenization;

/// <summary>
/// A small deterministic byte-level BPE trainer for the synthetic tokenizer: repeatedly merges the most
/// frequent adjacent pair (ties: smallest ids) across the corpus words. Tokens are byte strings; ids 0-255
/// are the single bytes.
/// </summary>
internal sealed class BpeTrainer
{
    private readonly List<byte[]> _tokens = [];
    private readonly Dictionary<string, int> _idsByText = new(StringComparer.Ordinal);
    private readonly List<(int Left, int Right)> _merges = [];

    public BpeTrainer()
    {
        for (var b = 0; b < 256; b++)
        {
            AddToken([(byte)b]);
        }
    }

    public IReadOnlyList<byte[]> Tokens => _tokens;

    public IReadOnlyList<(int Left, int Right)> Merges => _merges;

    /// <summary>Learns merges from word counts until <paramref name="maxTokens"/> tokens exist or every word is one token.</summary>
    public void Train(IReadOnlyDictionary<string, int> wordCounts, int maxTokens)
    {
        var words = wordCounts
            .OrderBy(w => w.Key, StringComparer.Ordinal)
            .Select(w => (Symbols: System.Text.Encoding.UTF8.GetBytes(w.Key).Select(b => (int)b).ToList(), w.Value))
            .ToList();
        while (_tokens.Count < maxTokens && MostFrequentPair(words) is { } pair)
        {
            var merged = AddMerge(pair.Left, pair.Right);
            foreach (var (symbols, _) in words)
            {
                ApplyMerge(symbols, pair.Left, pair.Right, merged);
            }
        }
    }

    /// <summary>Adds merges of existing tokens with a letter until there are <paramref name="count"/> tokens, so ids stay dense.</summary>
    public void FillTo(int count)
    {
        for (var left = 256; _tokens.Count < count && left < _tokens.Count; left++)
        {
            for (var letter = (int)'a'; letter <= 'z' && _tokens.Count < count; letter++)
            {
                if (!_idsByText.ContainsKey(Key([.. _tokens[left], (byte)letter])))
                {
                    AddMerge(left, letter);
                }
            }
        }

        if (_tokens.Count < count)
        {
            throw new InvalidOperationException($"Could not fill the synthetic vocabulary to {count} tokens.");
        }
    }

    private static (int Left, int Right)? MostFrequentPair(List<(List<int> Symbols, int Count)> words)
    {
        var counts = new Dictionary<(int, int), int>();
        foreach (var (symbols, count) in words)
        {
            for (var i = 0; i + 1 < symbols.Count; i++)
            {
                var pair = (symbols[i], symbols[i + 1]);
                counts[pair] = counts.GetValueOrDefault(pair) + count;
            }
        }

        (int Left, int Right)? best = null;
        var bestCount = 0;
        foreach (var (pair, count) in counts)
        {
            if (count > bestCount || (count == bestCount && best is { } b && pair.CompareTo(b) < 0))
            {
                best = pair;
                bestCount = count;
            }
        }

        return best;
    }

    private static void ApplyMerge(List<int> symbols, int left, int right, int merged)
    {
        for (var i = 0; i + 1 < symbols.Count; i++)
        {
            if (symbols[i] == left && symbols[i + 1] == right)
            {
                symbols[i] = merged;
                symbols.RemoveAt(i + 1);
            }
        }
    }

    /// <summary>Records a merge; a pair whose bytes already form a token reuses that id (valid in BPE).</summary>
    private int AddMerge(int left, int right)
    {
        byte[] bytes = [.. _tokens[left], .. _tokens[right]];
        var id = _idsByText.TryGetValue(Key(bytes), out var existing) ? existing : AddToken(bytes);
        _merges.Add((left, right));
        return id;
    }

    private int AddToken(byte[] bytes)
    {
        _tokens.Add(bytes);
        _idsByText.Add(Key(bytes), _tokens.Count - 1);
        return _tokens.Count - 1;
    }

    private static string Key(ReadOnlySpan<byte> bytes) => ByteLevelAlphabet.Encode(bytes);
}
