using System.Numerics;
using System.Runtime.CompilerServices;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Token string to id, looked up by span. Open addressing with hash, id and key in one 16-byte slot: a lookup
/// costs the slot and, on a hash match, the key's characters; a <see cref="KeyFilter"/> answers most lookups of
/// strings that are not tokens (Llama 3 asks about every new word, and three quarters of those in non-Latin text
/// are not tokens) without the slot. Loading Gemma resolves 1.5 million merge strings
/// against its 262k tokens, and Dictionary's bucket, entry and key indirections made that half the load time.
/// A token listed twice keeps its last id, as a JSON object read into a map does.
/// </summary>
internal sealed class VocabTable
{
    private readonly Slot[] _slots;
    private readonly KeyFilter _filter;
    private readonly int _mask;
    private readonly List<KeyValuePair<string, int>> _entries;

    public VocabTable(IReadOnlyCollection<KeyValuePair<string, int>> entries)
    {
        _slots = new Slot[(int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, entries.Count * 2))];
        _mask = _slots.Length - 1;
        _filter = new KeyFilter(_slots.Length);
        _entries = new List<KeyValuePair<string, int>>(entries.Count);
        foreach (var (token, id) in entries)
        {
            Add(token, id);
        }
    }

    public int Count => _entries.Count;

    /// <summary>Every distinct token and its id, in the order the tokens first appeared.</summary>
    public IReadOnlyList<KeyValuePair<string, int>> Entries => _entries;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(ReadOnlySpan<char> token, out int id)
    {
        var hash = Hash(token);
        if (!_filter.MayContain((uint)hash))
        {
            id = -1;
            return false;
        }

        var slots = _slots;
        for (var i = hash & _mask; ; i = (i + 1) & _mask)
        {
            ref var slot = ref slots[i];
            if (slot.Key is null)
            {
                id = -1;
                return false;
            }

            if (slot.Hash == hash && token.SequenceEqual(slot.Key))
            {
                id = slot.Id;
                return true;
            }
        }
    }

    public bool ContainsKey(ReadOnlySpan<char> token) => TryGetValue(token, out _);

    private void Add(string token, int id)
    {
        var hash = Hash(token);
        for (var i = hash & _mask; ; i = (i + 1) & _mask)
        {
            ref var slot = ref _slots[i];
            if (slot.Key is null)
            {
                slot = new Slot(token, hash, id);
                _filter.Add((uint)hash);
                _entries.Add(new(token, id));
                return;
            }

            if (slot.Hash == hash && slot.Key == token)
            {
                slot = slot with { Id = id };
                _entries[_entries.FindIndex(e => e.Key == token)] = new(token, id);
                return;
            }
        }
    }

    /// <summary>Any well-mixed hash serves (the table lives in one process); the top bits of a 64-bit product mix best.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(ReadOnlySpan<char> token) =>
        (int)(((ulong)(uint)string.GetHashCode(token) * 0x9E3779B97F4A7C15) >> 33);

    private readonly record struct Slot(string? Key, int Hash, int Id);
}
