namespace LlmQueue.Gpu.Execution;

/// <summary>How a <see cref="CudaModelRunner"/> is sized.</summary>
/// <param name="BlockTokens">Tokens per KV block.</param>
/// <param name="MaxBatchTokens">Most tokens one step carries (the engine's MaxBatchTokens).</param>
/// <param name="MaxSequences">Most sequences one step carries (the engine's MaxRunningRequests).</param>
/// <param name="KvLargePages">KV memory in large pages; null: what <paramref name="MemoryUtilization"/> of the device leaves after everything else.</param>
/// <param name="MemoryUtilization">Share of the device's memory the runner may fill in all (with KvLargePages null).</param>
/// <param name="UseGraphs">Replay decode steps from CUDA graphs per batch bucket.</param>
public sealed record CudaRunnerSettings(
    int BlockTokens, int MaxBatchTokens, int MaxSequences, int? KvLargePages = null, double MemoryUtilization = 0.9, bool UseGraphs = true)
{
    public void Validate()
    {
        if (BlockTokens <= 0 || MaxBatchTokens <= 0 || MaxSequences <= 0 || KvLargePages is <= 0 || !(MemoryUtilization > 0 && MemoryUtilization <= 1))
        {
            throw new ArgumentException($"CUDA runner settings need positive sizes and a memory share in (0, 1] (got {this}).");
        }
    }
}
