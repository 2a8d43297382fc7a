namespace LlmQueue.Engine.Cpu.Sampling;

/// <summary>
/// Vocabulary-sized work buffers, one set per thread: sampling a row allocates nothing, and each sampling thread
/// (the runner's compute threads) holds one set however many requests run.
/// </summary>
internal sealed class SamplingScratch
{
    [ThreadStatic]
    private static SamplingScratch? _current;

    private float[] _weights = [];
    private long[] _sortKeys = [];
    private int[] _marks = [];
    private int _markEpoch;

    /// <summary>Per-token occurrence counts; all zero between uses (the user zeroes what it counted).</summary>
    public int[] Counts { get; private set; } = [];

    public static SamplingScratch ForCurrentThread(int vocabSize)
    {
        var scratch = _current ??= new SamplingScratch();
        if (scratch._weights.Length < vocabSize)
        {
            scratch._weights = new float[vocabSize];
            scratch._sortKeys = new long[vocabSize];
            scratch._marks = new int[vocabSize];
            scratch._markEpoch = 0;
            scratch.Counts = new int[vocabSize];
        }

        return scratch;
    }

    public Span<float> Weights(int vocabSize) => _weights.AsSpan(0, vocabSize);

    public Span<long> SortKeys(int vocabSize) => _sortKeys.AsSpan(0, vocabSize);

    /// <summary>Starts a new set of marks: every token is unmarked again (a counter, not a clear).</summary>
    public void BeginMarking()
    {
        if (++_markEpoch == int.MaxValue)
        {
            Array.Clear(_marks);
            _markEpoch = 1;
        }
    }

    /// <summary>Marks <paramref name="token"/>; true the first time since <see cref="BeginMarking"/>.</summary>
    public bool MarkFirst(int token)
    {
        if (_marks[token] == _markEpoch)
        {
            return false;
        }

        _marks[token] = _markEpoch;
        return true;
    }
}
