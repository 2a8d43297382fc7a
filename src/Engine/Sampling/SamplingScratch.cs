namespace LlmQueue.Engine.Sampling;

/// <summary>
/// Vocabulary-sized work buffers, one set per thread: sampling a token allocates nothing, and thousands of
/// concurrent requests do not each hold megabytes of scratch space.
/// </summary>
internal sealed class SamplingScratch
{
    [ThreadStatic]
    private static SamplingScratch? _current;

    private float[] _weights = [];
    private long[] _sortKeys = [];

    public static SamplingScratch ForCurrentThread(int vocabSize)
    {
        var scratch = _current ??= new SamplingScratch();
        if (scratch._weights.Length < vocabSize)
        {
            scratch._weights = new float[vocabSize];
            scratch._sortKeys = new long[vocabSize];
        }

        return scratch;
    }

    public Span<float> Weights(int vocabSize) => _weights.AsSpan(0, vocabSize);

    public Span<long> SortKeys(int vocabSize) => _sortKeys.AsSpan(0, vocabSize);
}
