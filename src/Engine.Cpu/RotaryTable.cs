namespace LlmQueue.Engine.Cpu;

/// <summary>One rotary embedding's cos/sin for every token of the current step, [T, headDim / 2] each.</summary>
internal sealed class RotaryTable(RotaryEmbedding rope, int headDim) : IDisposable
{
    private readonly NativeFloatBuffer _cos = new();
    private readonly NativeFloatBuffer _sin = new();

    public void Fill(ReadOnlySpan<int> positions)
    {
        int half = rope.Half;
        _cos.EnsureCapacity((long)positions.Length * half);
        _sin.EnsureCapacity((long)positions.Length * half);
        for (int t = 0; t < positions.Length; t++)
        {
            rope.Angles(positions[t], _cos.Slice((long)t * half, half), _sin.Slice((long)t * half, half));
        }
    }

    /// <summary>Rotates all heads of token <paramref name="token"/>'s row in place.</summary>
    public void Rotate(int token, Span<float> heads)
    {
        int half = rope.Half;
        RotaryEmbedding.Apply(heads, headDim, _cos.Slice((long)token * half, half), _sin.Slice((long)token * half, half));
    }

    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
