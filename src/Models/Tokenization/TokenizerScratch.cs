namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Per-thread working buffers of an encode, reused across calls so that encoding allocates nothing per word
/// (or per segment) once they have grown to the input's size. An encode never re-enters itself on a thread.
/// </summary>
internal sealed class TokenizerScratch
{
    [ThreadStatic]
    private static TokenizerScratch? s_current;

    private char[] _front = new char[256];
    private char[] _back = new char[256];

    public static TokenizerScratch Current => s_current ??= new TokenizerScratch();

    /// <summary>Pre-token words of the current segment.</summary>
    public List<Range> Pieces { get; } = new(64);

    /// <summary>Pattern matches, and the pieces of the previous split step when a pre-tokenizer has several.</summary>
    public List<Range> Matches { get; } = new(64);

    public List<Range> Staging { get; } = new(64);

    /// <summary>Merge-table answers of the tokenizer this thread encodes with.</summary>
    public PairCache Pairs { get; } = new();

    /// <summary>Ids of a span encode before they are copied out.</summary>
    public List<int> Ids { get; } = new(256);

    /// <summary>A buffer of at least <paramref name="length"/> chars that does not hold <paramref name="current"/>.</summary>
    public char[] OtherBuffer(ReadOnlySpan<char> current, int length)
    {
        var useBack = current.Overlaps(_front);
        ref var buffer = ref useBack ? ref _back : ref _front;
        if (buffer.Length < length)
        {
            buffer = new char[Math.Max(length, buffer.Length * 2)];
        }

        return buffer;
    }
}
