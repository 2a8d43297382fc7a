using LlmQueue.Engine.Runners;
using LlmQueue.Models;
using LlmQueue.TestKit;

namespace LlmQueue.Engine.Cpu.Tests;

/// <summary>The CPU runner against the runner contract: f32 throughout; its logits measure within 2e-6 of fp64 here, it claims 1e-5.</summary>
public sealed class CpuRunnerConformanceTests() : RunnerConformanceSuite(logitTolerance: 1e-5)
{
    protected override IModelRunner CreateRunner(LlamaModel model, int blockTokens, int largePages) =>
        new CpuModelRunner(model, blockTokens, largePages, threads: 2);
}
