using System.Reflection;
using LlmQueue.Gpu.Checks;
using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Execution;
using LlmQueue.TestKit;

namespace LlmQueue.GpuCheck;

/// <summary>
/// The runner conformance suite (tests/TestKit) on the CUDA runner of this run's device, without an xunit runner on
/// that machine: each [Fact] and each [Theory] row of its [MemberData] is invoked by reflection, a thrown assertion
/// is a failed case. One check per test method, with how many of its cases passed and the first failure.
/// </summary>
internal static class ConformanceRun
{
    public static IReadOnlyList<CheckResult> Run(IGpuBackend device, Func<bool> outOfTime)
    {
        var suite = new DeviceConformance(device);
        var results = new List<CheckResult>();
        foreach (var method in typeof(RunnerConformanceSuite).GetMethods(BindingFlags.Public | BindingFlags.Instance)
                     .Where(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any()))
        {
            string name = $"conformance {method.Name.Replace('_', ' ')}";
            if (outOfTime())
            {
                results.Add(new CheckResult(name, CheckOutcome.NotRun, "not run: out of time"));
                continue;
            }

            var cases = Cases(method).ToArray();
            int passed = 0;
            string? firstFailure = null;
            foreach (var arguments in cases)
            {
                try
                {
                    method.Invoke(suite, arguments);
                    passed++;
                }
                catch (TargetInvocationException error) when (error.InnerException is { } inner)
                {
                    firstFailure ??= $"({string.Join(", ", arguments)}): {inner.GetType().Name}: {inner.Message}";
                }
            }

            results.Add(new CheckResult(name, passed == cases.Length ? CheckOutcome.Passed : CheckOutcome.Failed,
                $"{passed} of {cases.Length} cases passed{(firstFailure is null ? "" : "; first failure " + firstFailure)}"));
        }

        return results;
    }

    /// <summary>A fact's one empty argument list, or a theory's rows from its MemberData members.</summary>
    private static IEnumerable<object?[]> Cases(MethodInfo method)
    {
        var data = method.GetCustomAttributes<MemberDataAttribute>().ToArray();
        if (data.Length == 0)
        {
            yield return [];
            yield break;
        }

        foreach (var source in data)
        {
            var member = typeof(RunnerConformanceSuite).GetMember(source.MemberName, BindingFlags.Public | BindingFlags.Static).Single();
            var rows = member switch
            {
                PropertyInfo property => property.GetValue(null),
                MethodInfo factory => factory.Invoke(null, null),
                _ => null,
            };
            foreach (var row in (IEnumerable<object?[]>)rows!)
            {
                yield return row;
            }
        }
    }

    /// <summary>The suite with the CUDA runner's claims (tests/Gpu.Tests states the same), on this run's device.</summary>
    private sealed class DeviceConformance(IGpuBackend device) : RunnerConformanceSuite(logitTolerance: 3e-2)
    {
        protected override float SamplingInitStd => 0.1f;

        protected override double MinimumDecisiveShare => 0;

        protected override IModelRunner CreateRunner(LlamaModel model, int blockTokens, int largePages) =>
            new CudaModelRunner(device, model, new CudaRunnerSettings(blockTokens, MaxBatchTokens: 96, MaxSequences: 12, KvLargePages: largePages));
    }
}
