using LlmQueue.Models;
using LlmQueue.Engine.KvCache.Jenga;

namespace LlmQueue.Engine.Runners;

/// <summary>
/// Runs the model over a batch. Owns the KV tensors (CPU memory now, GPU memory later), cut as
/// <see cref="KvLayout"/> says; the KV manager only hands out page ids. One interface for every backend.
/// </summary>
public interface IModelRunner : IDisposable
{
    ModelConfig Config { get; }

    /// <summary>Tokens per block (= KvLayout.BlockTokens).</summary>
    int BlockSize { get; }

    /// <summary>How the runner's KV memory is cut into per-layer-type pages; the pool is built on it.</summary>
    KvPoolLayout KvLayout { get; }

    /// <summary>Large pages of <see cref="KvLayout"/> the runner's KV memory holds.</summary>
    int KvLargePages { get; }

    /// <summary>Copies small page <paramref name="page"/> of layer type <paramref name="type"/> (KvLayout.SmallPageBytes(type) bytes) out of the KV memory.</summary>
    void ReadKvPage(int type, int page, Span<byte> destination);

    /// <summary>Overwrites small page <paramref name="page"/> of layer type <paramref name="type"/> with bytes <see cref="ReadKvPage"/> produced.</summary>
    void WriteKvPage(int type, int page, ReadOnlySpan<byte> source);

    /// <summary>
    /// Writes each chunk's K/V into its pages, attends causally (within each layer's window) over everything
    /// up to each new token, and writes one row of VocabSize logits for the last token of each chunk with
    /// NeedsLogits, in batch order, into <paramref name="logits"/>.
    /// </summary>
    void Execute(ForwardBatch batch, Span<float> logits);
}
