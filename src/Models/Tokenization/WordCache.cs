namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Ids of words already encoded, for one thread. Per-thread maps need no locks: a shared ConcurrentDictionary's
/// lock on every insert cost more than the BPE of the word it saved on cold text. When full it starts over, so it
/// keeps up with what the thread encodes now; 32k words are about 3 MB, per thread that encodes.
/// </summary>
internal sealed class WordCache
{
    private const int MaxEntries = 1 << 15;

    private readonly Dictionary<string, int[]> _entries = new(4096, StringComparer.Ordinal);
    private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public WordCache()
    {
        _lookup = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public bool TryGet(ReadOnlySpan<char> word, out int[] ids) => _lookup.TryGetValue(word, out ids!);

    public void Add(ReadOnlySpan<char> word, int[] ids)
    {
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        _lookup.TryAdd(word, ids);
    }
}
