using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LlmQueue.Gpu.Checks;
using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Execution;
using LlmQueue.Gpu.Planning;
using LlmQueue.TestKit;

namespace LlmQueue.GpuCheck;

/// <summary>
/// Whole-runner figures on Llama-3.2-1B- and gemma-3-1b-shaped synthetic checkpoints (random bf16 weights): decode at
/// batch 1 against the HBM roofline (weight and K/V bytes a step reads over the copy bandwidth measured in this run),
/// with and without CUDA graphs (the difference is the launch overhead graphs remove), and batch-64 throughput
/// (512-token prompts, 256 generated) against Hugging Face transformers generate on the same checkpoint in the same
/// run. Steps go through the runner contract (Launch + Collect, wall clock), driven by TestKit's RunnerHarness.
/// </summary>
internal sealed class RunnerFigures(IGpuBackend device, double copyBandwidth, string? hfScript, Action<string> log)
{
    private const int DecodeSteps = 64;
    private const int BreakdownSteps = 16;
    private const int Batch = 64;
    private const int PromptTokens = 512;
    private const int NewTokens = 256;

    public static IReadOnlyList<(string Name, SyntheticModelSpec Spec)> Shapes { get; } =
        [("Llama-3.2-1B", CheckModels.Llama32OneB), ("gemma-3-1b", CheckModels.Gemma3OneB)];

    public IEnumerable<Measurement> DecodeBatchOne(string name, LlamaModel model)
    {
        var (graphed, context) = TimeDecode(model, graphs: true);
        var (direct, _) = TimeDecode(model, graphs: false);
        var config = model.Config;
        long kvBytes = (long)context * config.NumLayers * 2 * config.NumKvHeads * config.HeadDim * sizeof(ushort);
        double rooflineMs = (model.Weights.DecodeWeightBytes + kvBytes) / copyBandwidth / 1e6;
        yield return new Measurement($"decode {name}, batch 1 (graph replay)", graphed, "ms/token",
            $"{1000 / graphed:F0} tokens/s; roofline {rooflineMs:F3} ms ({(model.Weights.DecodeWeightBytes + kvBytes) >> 20} MiB of weights and K/V at {copyBandwidth:F0} GB/s): {100 * rooflineMs / graphed:F0}% of it; wall clock of Launch + Collect, median of {DecodeSteps}");
        yield return new Measurement($"decode {name}, batch 1, graph vs direct launches", (direct - graphed) * 1000, "us/step",
            $"direct launches {direct:F3} ms, graph replay {graphed:F3} ms per step");
    }

    /// <summary>
    /// Where a batch-1 decode step's device time goes: every kernel and matrix product timed by events (graphs off,
    /// each step held behind a gate until the host has issued it all, so the times are the device's), summed per
    /// label over a step, median of <see cref="BreakdownSteps"/> steps; the products' bandwidth against the copy
    /// bandwidth; and the device's idle time between operations.
    /// </summary>
    public IEnumerable<Measurement> Breakdown(string name, LlamaModel model)
    {
        // The gate: a 16 GiB copy (about 8 ms) holds each step until the host has issued all of it.
        using var profiler = new OperationProfiler(device, gateBytes: 8L << 30);
        var runner = new CudaModelRunner(profiler, model, new CudaRunnerSettings(16, MaxBatchTokens: 2048, MaxSequences: Batch, KvLargePages: Pages(model.Config), UseGraphs: false));
        using var harness = new RunnerHarness(runner, shuffleSeed: 1);
        var greedy = new SamplingParameters { Temperature = 0 };
        int token = harness.Step(new HarnessChunk(0, Prompt(model.Config.VocabSize, 128, 0), greedy))[0].Token;
        var perLabel = new Dictionary<string, List<(double Ms, int Calls, long Bytes)>>(StringComparer.Ordinal);
        var idle = new List<double>();
        var spans = new List<double>();
        for (int step = -4; step < BreakdownSteps; step++)
        {
            profiler.Recording = step >= 0;
            token = harness.Step(new HarnessChunk(0, [token], greedy))[0].Token;
            var (operations, span) = profiler.Collect();
            if (step < 0)
            {
                continue;
            }

            foreach (var group in operations.GroupBy(o => o.Label))
            {
                (perLabel.TryGetValue(group.Key, out var list) ? list : perLabel[group.Key] = []).Add((group.Sum(o => o.Ms), group.Count(), group.Sum(o => o.Bytes)));
            }

            spans.Add(span);
            idle.Add(span - operations.Sum(o => o.Ms));
        }

        double medianSpan = Median(spans);
        foreach (var (label, samples) in perLabel.OrderByDescending(p => Median(p.Value.Select(v => v.Ms))))
        {
            double ms = Median(samples.Select(v => v.Ms));
            long bytes = samples[0].Bytes;
            string bandwidth = bytes > 0 ? $", {bytes / ms / 1e6:F0} GB/s = {100 * bytes / ms / 1e6 / copyBandwidth:F0}% of the copy bandwidth" : "";
            yield return new Measurement($"decode {name}, batch 1, step breakdown: {label}", ms * 1000, "us/step",
                $"{samples[0].Calls} per step, {100 * ms / medianSpan:F0}% of the device span{bandwidth}");
        }

        yield return new Measurement($"decode {name}, batch 1, step breakdown: device idle between operations", Median(idle) * 1000, "us/step",
            $"device span {medianSpan * 1000:F0} us per step (first operation's start to the last one's end; events around each operation add their own time)");
    }

    public IEnumerable<Measurement> Throughput(string name, string folder, LlamaModel model)
    {
        var (seconds, decodeSeconds) = TimeBatch(model);
        double ours = Batch * NewTokens / seconds;
        yield return new Measurement($"throughput {name}, batch {Batch} ({PromptTokens}-token prompts, {NewTokens} generated)", ours, "tokens/s",
            $"{seconds:F2} s in all, decode {Batch * NewTokens / decodeSeconds:F0} tokens/s ({decodeSeconds / NewTokens * 1000:F2} ms per step of {Batch})");
        if (hfScript is null)
        {
            yield break;
        }

        var (hf, detail) = HuggingFace(folder);
        yield return hf is double peer
            ? new Measurement($"throughput {name}, batch {Batch}: Hugging Face transformers generate (bf16, SDPA, static cache)", peer, "tokens/s", $"ours / transformers = {ours / peer:F1}x; {detail}")
            : new Measurement($"throughput {name}, batch {Batch}: Hugging Face transformers generate", double.NaN, "tokens/s", $"not measured: {detail}");
    }

    private (double MedianMs, int Context) TimeDecode(LlamaModel model, bool graphs)
    {
        var runner = new CudaModelRunner(device, model, new CudaRunnerSettings(16, MaxBatchTokens: 2048, MaxSequences: Batch, KvLargePages: Pages(model.Config), UseGraphs: graphs));
        using var harness = new RunnerHarness(runner, shuffleSeed: 1);
        var greedy = new SamplingParameters { Temperature = 0 };
        int token = harness.Step(new HarnessChunk(0, Prompt(model.Config.VocabSize, 128, 0), greedy))[0].Token;
        var times = new double[DecodeSteps];
        for (int i = 0; i < DecodeSteps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            token = harness.Step(new HarnessChunk(0, [token], greedy))[0].Token;
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(times);
        return (times[DecodeSteps / 2], 128 + DecodeSteps);
    }

    private (double Seconds, double DecodeSeconds) TimeBatch(LlamaModel model)
    {
        var runner = new CudaModelRunner(device, model, new CudaRunnerSettings(16, MaxBatchTokens: 2048, MaxSequences: Batch, KvLargePages: Pages(model.Config)));
        using var harness = new RunnerHarness(runner, shuffleSeed: 1);
        var greedy = new SamplingParameters { Temperature = 0 };
        var next = new int[Batch];
        long start = Stopwatch.GetTimestamp();
        for (int first = 0; first < Batch; first += 2048 / PromptTokens)
        {
            var rows = harness.Step([.. Enumerable.Range(first, 2048 / PromptTokens).Select(s => new HarnessChunk(s, Prompt(model.Config.VocabSize, PromptTokens, s), greedy))]);
            foreach (var (sequence, row) in rows)
            {
                next[sequence] = row.Token;
            }
        }

        long decodeStart = Stopwatch.GetTimestamp();
        for (int step = 1; step < NewTokens; step++)
        {
            foreach (var (sequence, row) in harness.Step([.. Enumerable.Range(0, Batch).Select(s => new HarnessChunk(s, [next[s]], greedy))]))
            {
                next[sequence] = row.Token;
            }
        }

        return (Stopwatch.GetElapsedTime(start).TotalSeconds, Stopwatch.GetElapsedTime(decodeStart).TotalSeconds * NewTokens / (NewTokens - 1));
    }

    /// <summary>transformers' generate on the same folder (tools/parity/hf_generate.py), or null with why not.</summary>
    private (double? TokensPerSecond, string Detail) HuggingFace(string folder)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { hfScript!, folder, Batch.ToString(CultureInfo.InvariantCulture), PromptTokens.ToString(CultureInfo.InvariantCulture), NewTokens.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(150)))
            {
                process.Kill(entireProcessTree: true);
                return (null, "hf_generate.py ran past 150 s");
            }

            string? last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
            if (process.ExitCode != 0 || last is null)
            {
                string tail = error.Result.Length > 400 ? error.Result[^400..] : error.Result;
                return (null, $"hf_generate.py exited {process.ExitCode}: {tail}");
            }

            log($"transformers: {last}");
            using var json = JsonDocument.Parse(last);
            var root = json.RootElement;
            return (root.GetProperty("tokens_per_s").GetDouble(), $"transformers {root.GetProperty("transformers").GetString()}, torch {root.GetProperty("torch").GetString()}, {root.GetProperty("seconds").GetDouble():F2} s");
        }
        catch (Exception error) when (error is System.ComponentModel.Win32Exception or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return (null, $"{error.GetType().Name}: {error.Message}");
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static int[] Prompt(int vocab, int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => random.Next(vocab))];
    }

    /// <summary>Large pages for the batch's whole sequences (prompt + generated) of every layer type.</summary>
    private static int Pages(ModelConfig config)
    {
        var layout = KvGeometry.LayoutFor(config, 16);
        long blocks = (PromptTokens + NewTokens + layout.BlockTokens - 1) / layout.BlockTokens;
        long perSequence = Enumerable.Range(0, layout.TypeCount).Sum(t => blocks * layout.SmallPageBytes(t));
        return (int)((Batch * perSequence / layout.LargePageBytes) + (2 * Batch) + 8);
    }
}
