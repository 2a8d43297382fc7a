using LlmQueue.Models;

namespace LlmQueue.Engine.Cpu;

/// <summary>Per-step activations, sized for the largest step seen so far and reused (no per-step allocation).</summary>
internal sealed class StepBuffers : IDisposable
{
    private readonly ModelConfig _config;
    private int _capacity;

    public StepBuffers(ModelConfig config) => _config = config;

    /// <summary>Residual stream [T, hidden].</summary>
    public NativeFloatBuffer Hidden { get; } = new();

    /// <summary>Normed input of the current sub-block [T, hidden]; also the final-norm rows for logits.</summary>
    public NativeFloatBuffer Normed { get; } = new();

    public NativeFloatBuffer Queries { get; } = new();

    public NativeFloatBuffer Keys { get; } = new();

    public NativeFloatBuffer Values { get; } = new();

    public NativeFloatBuffer Attention { get; } = new();

    /// <summary>Sub-block output before the residual add [T, hidden].</summary>
    public NativeFloatBuffer Projected { get; } = new();

    public NativeFloatBuffer Gate { get; } = new();

    public NativeFloatBuffer Up { get; } = new();

    public int[] Positions { get; private set; } = [];

    public int[] SequenceOf { get; private set; } = [];

    public void EnsureTokens(int tokens)
    {
        if (tokens <= _capacity)
        {
            return;
        }

        // Grow geometrically so a slowly rising step size does not reallocate every step.
        _capacity = Math.Max(tokens, _capacity * 2);
        long t = _capacity;
        Hidden.EnsureCapacity(t * _config.HiddenSize);
        Normed.EnsureCapacity(t * _config.HiddenSize);
        Projected.EnsureCapacity(t * _config.HiddenSize);
        Queries.EnsureCapacity(t * _config.NumHeads * _config.HeadDim);
        Attention.EnsureCapacity(t * _config.NumHeads * _config.HeadDim);
        Keys.EnsureCapacity(t * _config.NumKvHeads * _config.HeadDim);
        Values.EnsureCapacity(t * _config.NumKvHeads * _config.HeadDim);
        Gate.EnsureCapacity(t * _config.IntermediateSize);
        Up.EnsureCapacity(t * _config.IntermediateSize);
        Positions = new int[_capacity];
        SequenceOf = new int[_capacity];
    }

    public void Dispose()
    {
        foreach (var buffer in new[] { Hidden, Normed, Queries, Keys, Values, Attention, Projected, Gate, Up })
        {
            buffer.Dispose();
        }
    }
}
