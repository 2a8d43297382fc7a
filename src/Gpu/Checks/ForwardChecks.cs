using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Planning;

namespace LlmQueue.Gpu.Checks;

/// <summary>
/// Whole forward passes on the device against the same steps on the fake driver: prefill of several ragged prompts
/// in one step, then decode steps, the last ones replayed from a captured graph, for each synthetic family (bf16),
/// including sliding windows and softcaps. Logits rows must agree to a relative error below
/// <see cref="KernelChecks.Bf16Tolerance"/>; graph replays on the device must match direct launches on the device (<see cref="GraphTolerance"/>).
/// </summary>
public static class ForwardChecks
{
    /// <summary>
    /// Replays and direct launches run the same kernels on the same data, but a padded bucket changes the products'
    /// row count, and cuBLAS may then pick another kernel (another f32 summation order), which can flip an occasional
    /// bf16 rounding; a stale or misplaced buffer would be off by order 1.
    /// </summary>
    public const double GraphTolerance = 1e-3;

    private static readonly int[] PromptLengths = [37, 5, 60];

    /// <param name="outOfTime">Checked before each model; once true, the remaining models are reported as not run.</param>
    public static IReadOnlyList<CheckResult> Run(IGpuBackend device, IGpuBackend reference, IReadOnlyList<(string Name, LlamaModel Model)> models, Func<bool> outOfTime)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(outOfTime);
        var results = new List<CheckResult>();
        foreach (var (name, model) in models)
        {
            if (outOfTime())
            {
                results.Add(new CheckResult($"forward {name}", CheckOutcome.NotRun, "not run: out of time"));
                continue;
            }

            try
            {
                results.AddRange(Compare(name, device, reference, model));
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                results.Add(CheckResult.Failure($"forward {name}", error));
            }
        }

        return results;
    }

    private static IEnumerable<CheckResult> Compare(string name, IGpuBackend device, IGpuBackend reference, LlamaModel model)
    {
        var limits = new StepLimits(MaxTokens: 128, MaxSequences: 4, MaxModelLength: 256);
        var config = model.Config;
        using var onDevice = new ForwardHarness(device.Cuda, device.Blas, device.Kernels, model, 16, LargePages(config, 16, 4 * 256), limits, shuffleSeed: 11);
        using var onReference = new ForwardHarness(reference.Cuda, reference.Blas, reference.Kernels, model, 16, LargePages(config, 16, 4 * 256), limits, shuffleSeed: 11);
        using var graphed = new ForwardHarness(device.Cuda, device.Blas, device.Kernels, model, 16, LargePages(config, 16, 4 * 256), limits, shuffleSeed: 11);
        var random = new Random(name.Length);
        var prompts = PromptLengths.Select(n => Enumerable.Range(0, n).Select(_ => random.Next(config.VocabSize)).ToArray()).ToArray();
        var work = prompts.Select((p, i) => (i, p, true)).ToArray();
        var deviceLogits = onDevice.Step(work);
        var referenceLogits = onReference.Step(work);
        _ = graphed.Step(work);
        double worst = Worst(deviceLogits, referenceLogits);
        double worstGraph = 0;
        var buckets = new GraphBuckets(limits.MaxSequences);
        for (int step = 0; step < 12; step++)
        {
            // Greedy from the reference, so both sides decode the same tokens even if an argmax differs.
            var next = referenceLogits.OrderBy(e => e.Key).Select(e => (e.Key, Array.IndexOf(e.Value, e.Value.Max()))).ToArray();
            var decode = next.Select(n => (n.Key, new[] { n.Item2 }, true)).ToArray();
            deviceLogits = onDevice.Step(decode);
            referenceLogits = onReference.Step(decode);
            worst = Math.Max(worst, Worst(deviceLogits, referenceLogits));
            worstGraph = Math.Max(worstGraph, Worst(graphed.DecodeWithGraph(buckets, next), deviceLogits));
        }

        yield return CheckResult.Compare($"forward {name}: device vs reference (prefill 37+5+60, 12 decode steps)", worst, KernelChecks.Bf16Tolerance);
        yield return CheckResult.Compare($"forward {name}: graph replay vs direct launches on the device", worstGraph, GraphTolerance);
    }

    /// <summary>Large pages for <paramref name="tokens"/> tokens of every layer type, plus slack for partly carved pages.</summary>
    private static int LargePages(ModelConfig config, int blockTokens, int tokens)
    {
        var layout = KvGeometry.LayoutFor(config, blockTokens);
        long bytes = Enumerable.Range(0, layout.TypeCount).Sum(t => layout.SmallPageBytes(t) * ((tokens / blockTokens) + 8));
        return (int)(bytes / layout.LargePageBytes) + layout.TypeCount + 2;
    }

    private static double Worst(Dictionary<int, float[]> actual, Dictionary<int, float[]> expected) =>
        expected.Max(e => KernelMirror.RelativeError(actual[e.Key], e.Value));
}
