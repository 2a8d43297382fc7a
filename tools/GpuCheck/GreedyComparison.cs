using LlmQueue.Engine.Cpu;
using LlmQueue.Gpu.Checks;
using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Execution;
using LlmQueue.TestKit;

namespace LlmQueue.GpuCheck;

/// <summary>
/// Greedy continuations of every synthetic family on the CUDA runner against the CPU runner (f32): 32 tokens after a
/// 16-token prompt must be equal, or differ first where the CPU's top two logits are a near tie (within
/// <see cref="NearTie"/>, what bf16 activations can move).
/// </summary>
internal static class GreedyComparison
{
    public const int Tokens = 32;
    public const double NearTie = 0.1;

    public static IReadOnlyList<CheckResult> Run(IGpuBackend device, Func<bool> outOfTime)
    {
        var results = new List<CheckResult>();
        foreach (var (name, spec) in CheckModels.Specs)
        {
            string check = $"greedy {Tokens} tokens {name}: CUDA runner = CPU runner";
            if (outOfTime())
            {
                results.Add(new CheckResult(check, CheckOutcome.NotRun, "not run: out of time"));
                continue;
            }

            try
            {
                using var model = CheckModels.Load(name, spec);
                var prompt = Enumerable.Range(0, 16).Select(i => (i * 7919) % model.Config.VocabSize).ToArray();
                var layout = KvGeometryPages(model.Config);
                var cuda = Continue(new CudaModelRunner(device, model, new CudaRunnerSettings(16, 64, 4, KvLargePages: layout)), prompt);
                var cpu = Continue(new CpuModelRunner(model, 16, CpuPages(model.Config)), prompt);
                int same = cuda.Tokens.Zip(cpu.Tokens).TakeWhile(p => p.First == p.Second).Count();
                double gap = same < Tokens ? cpu.Gaps[same] : double.PositiveInfinity;
                bool passed = same == Tokens || gap <= NearTie;
                results.Add(new CheckResult(check, passed ? CheckOutcome.Passed : CheckOutcome.Failed,
                    same == Tokens ? $"all {Tokens} equal" : $"first {same} equal; token {same}: CUDA {cuda.Tokens[same]}, CPU {cpu.Tokens[same]}, CPU top-two gap {gap:E2} (near tie <= {NearTie})"));
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                results.Add(CheckResult.Failure(check, error));
            }
        }

        return results;
    }

    /// <summary>The greedy continuation and, per token, the gap between the top two logits (greedy logprobs differ as logits do).</summary>
    private static (int[] Tokens, double[] Gaps) Continue(IModelRunner runner, int[] prompt)
    {
        using var harness = new RunnerHarness(runner, shuffleSeed: 1);
        var tokens = new int[Tokens];
        var gaps = new double[Tokens];
        var next = prompt;
        for (int i = 0; i < Tokens; i++)
        {
            var row = harness.Step(new HarnessChunk(0, next, RunnerHarness.GreedyWithLogprobs))[0];
            tokens[i] = row.Token;
            gaps[i] = row.TopLogprobs[0] - row.TopLogprobs[1];
            next = [row.Token];
        }

        return (tokens, gaps);
    }

    private static int KvGeometryPages(ModelConfig config) => PagesFor(LlmQueue.Gpu.Planning.KvGeometry.LayoutFor(config, 16));

    private static int CpuPages(ModelConfig config) => PagesFor(CpuModelRunner.KvLayoutFor(config, 16));

    /// <summary>Large pages holding one 64-token sequence of every layer type, with slack for partly carved pages.</summary>
    private static int PagesFor(KvPoolLayout layout) =>
        Enumerable.Range(1, 4096).First(p => layout.MaxSequenceTokens((long)p * layout.LargePageBytes) >= 4 * 64);
}
