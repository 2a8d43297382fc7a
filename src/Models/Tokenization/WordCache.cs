namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Ids of words already encoded, for one thread. Per-thread maps need no locks: a shared ConcurrentDictionary's
/// lock on every insert cost more than the BPE of the word it saved on cold text. When full (32k words, or 4M
/// characters of words) it starts over, so it keeps up with what the thread encodes now and holds at most ~10 MB.
/// Words up to 4,096 characters are kept: long whitespace runs (indentation, padding) recur and cost tens of µs to
/// merge each time.
/// </summary>
internal sealed class WordCache
{
    private const int MaxEntries = 1 << 15;
    private const int MaxChars = 1 << 22;
    private const int MaxWordLength = 4096;

    // A small start: a fresh thread or tokenizer often encodes one short prompt, and a 4k-entry table is a large
    // object whose fresh pages cost more to fault in than the words it would hold.
    private readonly Dictionary<string, int[]> _entries = new(256, StringComparer.Ordinal);
    private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private int _chars;

    public WordCache()
    {
        _lookup = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public bool TryGet(ReadOnlySpan<char> word, out int[] ids) => _lookup.TryGetValue(word, out ids!);

    /// <summary>Remembers a word's ids; words over 4,096 characters are not kept.</summary>
    public void Add(ReadOnlySpan<char> word, int[] ids)
    {
        if (word.Length > MaxWordLength)
        {
            return;
        }

        if (_entries.Count >= MaxEntries || _chars + word.Length > MaxChars)
        {
            _entries.Clear();
            _chars = 0;
        }

        if (_lookup.TryAdd(word, ids))
        {
            _chars += word.Length;
        }
    }
}
