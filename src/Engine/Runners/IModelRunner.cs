using LlmQueue.Engine.KvCache.Jenga;
using LlmQueue.Models;

namespace LlmQueue.Engine.Runners;

/// <summary>
/// Runs the model over a batch and samples: batch and per-row sampling description in, one token id per row (and
/// the logprobs a row asked for) out; logits never leave the runner. Owns the KV memory (host memory, device memory),
/// cut as <see cref="KvLayout"/> says; the KV pool only hands out page ids. One contract for every backend, checked
/// by the runner conformance suite (tests/TestKit). docs/ARCHITECTURE.md states the contract in full.
/// </summary>
/// <remarks>
/// A step is <see cref="Launch"/> then <see cref="Collect"/>, at most one in flight. Launch may return before the
/// work is done (a device runner returns once its launches are queued), so the host can prepare the next batch
/// meanwhile. Ownership: from Launch until Collect returns, the batch and every array it reaches (tokens, block
/// tables, sampling rows and their token histories, outputs) belong to the runner; the engine neither writes nor
/// reuses them, and builds the next step in another <see cref="ForwardBatch"/>. After Collect the runner keeps no
/// reference to any of them. KV page reads and writes happen between steps, never while one is in flight.
/// Not thread-safe: one engine loop drives a runner.
/// </remarks>
public interface IModelRunner : IDisposable
{
    ModelConfig Config { get; }

    /// <summary>How the runner's KV memory is cut into per-layer-type pages; the pool is built on it.</summary>
    KvPoolLayout KvLayout { get; }

    /// <summary>Large pages of <see cref="KvLayout"/> the runner's KV memory holds (its size was the backend's choice).</summary>
    int KvLargePages { get; }

    /// <summary>Dtype and layout of a page's bytes, as <see cref="ReadKvPage"/> gives them; the remote tier keys values by it.</summary>
    KvPageFormat KvPageFormat { get; }

    /// <summary>Copies small page <paramref name="page"/> of layer type <paramref name="type"/> (KvLayout.SmallPageBytes(type) bytes) out of the KV memory.</summary>
    void ReadKvPage(int type, int page, Span<byte> destination);

    /// <summary>Overwrites small page <paramref name="page"/> of layer type <paramref name="type"/> with bytes <see cref="ReadKvPage"/> produced.</summary>
    void WriteKvPage(int type, int page, ReadOnlySpan<byte> source);

    /// <summary>
    /// Starts a step: writes each chunk's K/V into its pages, attends causally (within each layer's window) over
    /// everything up to each new token, and for every chunk with NeedsLogits samples the next token from the last
    /// position's logits with the chunk's sampling row. Throws <see cref="ArgumentException"/> for a malformed batch
    /// before anything runs.
    /// </summary>
    void Launch(ForwardBatch batch);

    /// <summary>
    /// Waits for the step <paramref name="batch"/> was launched with, leaves its results in batch.Outputs and gives
    /// the batch back to the caller. A failure of the step surfaces here (or from Launch).
    /// </summary>
    void Collect(ForwardBatch batch);
}
