using System.Numerics;
using System.Runtime.CompilerServices;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Which keys a hash table may hold: a Bloom filter with one 64-bit word per key (four bits set in it), sized by
/// its owner at 4 bits per table slot, so 8-16 bits per key (~3% to ~0.6% false positives). The tokenizer's tables
/// are megabytes and answer from far memory; the filter, a thirty-second of their size, stays in a core's L2 cache and
/// answers most questions whose answer is "absent" without them. On unseen multilingual text most pairs that BPE
/// asks the merge table about have no rule (74-76% of Llama 3's and Qwen 3's first-sighted pairs on the GLib/GTK
/// translations, half of Gemma 3's): byte pairs across character boundaries, and the pairs a merge forms with its
/// neighbours.
/// </summary>
internal sealed class KeyFilter
{
    private readonly ulong[] _words;
    private readonly int _shift;

    /// <param name="tableSlots">The owning table's slot count, a power of two.</param>
    public KeyFilter(int tableSlots)
    {
        // At least two words: with one the index's shift would be 64, which C# takes as 0.
        var wordCount = Math.Max(tableSlots / 16, 2);
        _words = new ulong[wordCount];
        _shift = 64 - BitOperations.Log2((uint)wordCount);
    }

    public void Add(ulong key)
    {
        var hash = Mix(key);
        _words[Index(hash)] |= Bits(hash);
    }

    /// <summary>False when no added key equals <paramref name="key"/>; true for every added key and ~1% of others.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool MayContain(ulong key)
    {
        var hash = Mix(key);
        var bits = Bits(hash);
        return (_words[Index(hash)] & bits) == bits;
    }

    // The splitmix64 finalizer: the tables pick slots from a product's top bits, so the filter mixes differently.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong key)
    {
        key = (key ^ (key >> 30)) * 0xBF58476D1CE4E5B9;
        key = (key ^ (key >> 27)) * 0x94D049BB133111EB;
        return key ^ (key >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Index(ulong hash) => (int)(hash >> _shift);

    // Four 6-bit fields from the low bits; the index takes the high ones. A shift by a ulong uses its low 6 bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Bits(ulong hash) =>
        (1UL << (int)hash) | (1UL << (int)(hash >> 6)) | (1UL << (int)(hash >> 12)) | (1UL << (int)(hash >> 18));
}
