using LlmQueue.Models;
using LlmQueue.TestKit;

namespace LlmQueue.Engine.Cpu.Tests;

/// <summary>
/// The CPU runner under the shared <see cref="RunnerHarness"/> (real pool, shuffled pages), returning logits rows
/// through the runner's own logits entry point: for the CPU tests that compare logits rather than sampled tokens.
/// </summary>
internal sealed class CpuHarness(LlamaModel model, int blockSize, int numBlocks, int seed, int threads = 2) : IDisposable
{
    private readonly RunnerHarness _harness = new(new CpuModelRunner(model, blockSize, numBlocks, threads), seed);

    public CpuModelRunner Runner => (CpuModelRunner)_harness.Runner;

    /// <summary>Runs one step; each entry appends tokens to a sequence. Returns logits rows keyed by sequence id.</summary>
    public Dictionary<int, float[]> Step(params (int Sequence, int[] Tokens, bool NeedsLogits)[] work) =>
        _harness.StepLogits(
            (batch, logits) => Runner.ComputeLogits(batch, logits),
            [.. work.Select(w => new HarnessChunk(w.Sequence, w.Tokens, w.NeedsLogits ? RunnerHarness.GreedyWithLogprobs : null))]);

    public void Dispose() => _harness.Dispose();
}
