using System.Numerics;
using System.Runtime.CompilerServices;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// The BPE merge rules as an open-addressing hash table from a (left id, right id) pair to its rank and merged
/// id. A Dictionary keyed by the packed pair used Int64.GetHashCode, left ^ right, under which every pair of
/// equal tokens hashes to 0; here the packed key is multiplied by a 64-bit odd constant (Fibonacci hashing) and
/// the top bits pick the slot, so a pair's bits are all mixed. Key, rank and merged id share one 16-byte slot:
/// a lookup touches one cache line, and only once <see cref="KeyFilter"/> has not ruled the pair out.
/// </summary>
internal sealed class MergeTable
{
    // Keys are stored plus one so that a fresh (zeroed) array is all empty slots.
    private const ulong EmptyKey = 0;
    private const ulong Multiplier = 0x9E3779B97F4A7C15;

    private Slot[] _slots = [];
    private KeyFilter _filter = null!;
    private int _shift;
    private int _mask;

    /// <param name="expectedCount">Rules expected; the table keeps at most half its slots used and grows past that.</param>
    public MergeTable(int expectedCount)
    {
        Allocate((int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(expectedCount * 2, 16, 1 << 30)));
    }

    public int Count { get; private set; }

    /// <summary>Adds a rule unless the pair already has one: a repeated pair keeps its first (highest-priority) rank.</summary>
    public bool TryAdd(int left, int right, MergeRule rule)
    {
        var key = Key(left, right);
        for (var i = Home(key); ; i = (i + 1) & _mask)
        {
            ref var slot = ref _slots[i];
            if (slot.Key == key)
            {
                return false;
            }

            if (slot.Key == EmptyKey)
            {
                slot = new Slot(key, rule);
                _filter.Add(key);
                if (++Count * 2 > _slots.Length)
                {
                    Grow();
                }

                return true;
            }
        }
    }

    /// <summary>The rule joining <paramref name="left"/> and <paramref name="right"/>, if there is one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(int left, int right, out MergeRule rule)
    {
        var key = Key(left, right);
        if (!_filter.MayContain(key))
        {
            rule = default;
            return false;
        }

        var slots = _slots;
        for (var i = Home(key); ; i = (i + 1) & _mask)
        {
            ref var slot = ref slots[i];
            if (slot.Key == key)
            {
                rule = slot.Rule;
                return true;
            }

            if (slot.Key == EmptyKey)
            {
                rule = default;
                return false;
            }
        }
    }

    private void Allocate(int size)
    {
        _slots = new Slot[size];
        _filter = new KeyFilter(size);
        _shift = 64 - BitOperations.Log2((uint)size);
        _mask = size - 1;
    }

    private void Grow()
    {
        var old = _slots;
        Allocate(old.Length * 2);
        foreach (var slot in old)
        {
            if (slot.Key != EmptyKey)
            {
                var i = Home(slot.Key);
                while (_slots[i].Key != EmptyKey)
                {
                    i = (i + 1) & _mask;
                }

                _slots[i] = slot;
                _filter.Add(slot.Key);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Key(int left, int right) => (((ulong)(uint)left << 32) | (uint)right) + 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(ulong key) => (int)((key * Multiplier) >> _shift);

    private readonly record struct Slot(ulong Key, MergeRule Rule);
}
