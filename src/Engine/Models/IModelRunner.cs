namespace LlmQueue.Engine.Models;

/// <summary>
/// Runs the model over a batch. Owns the KV tensors (CPU memory now, GPU memory later); the KV
/// manager only hands out block ids. One interface for every backend.
/// </summary>
public interface IModelRunner : IDisposable
{
    ModelConfig Config { get; }

    int BlockSize { get; }

    int NumBlocks { get; }

    /// <summary>
    /// Writes each chunk's K/V into its blocks, attends causally over everything up to each new
    /// token, and writes one row of VocabSize logits for the last token of each chunk with
    /// NeedsLogits, in batch order, into <paramref name="logits"/>.
    /// </summary>
    void Execute(ForwardBatch batch, Span<float> logits);
}
