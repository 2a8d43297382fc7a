using System.Diagnostics;
using LlmQueue.Engine.Cpu;
using LlmQueue.Engine.Runners;
using LlmQueue.Models;
using LlmQueue.Models.Synthetic;

namespace LlmQueue.Bench;

/// <summary>
/// CPU decode tokens/s of the ~100M-parameter synthetic Llama at batch 1, 4 and 16, through the model
/// runner contract (forward pass and greedy sampling of every row) and the paged KV cache, beside the
/// memory-bandwidth roofline measured in the same run. Each step also runs once through the forward pass
/// alone (what the runner did before it sampled), alternating, so the contract's and the sampling's cost is
/// a same-run ratio that machine noise cannot fake.
/// </summary>
internal static class DecodeBenchmark
{
    private const int PromptLength = 32;
    private const int BlockSize = 16;

    public static void Run(bool smoke, TextWriter output)
    {
        var stepCount = smoke ? 2 : 32;
        var repeats = smoke ? 1 : 5;
        var name = smoke ? "tiny" : "small-100m";
        var spec = SyntheticModelSpec.Preset(name);
        using var model = LlamaModel.Load(SyntheticModel.EnsureWritten(Path.Combine(Path.GetTempPath(), "llmq-models"), spec, name));
        var config = model.Config;
        var weightBytes = model.Weights.DecodeWeightBytes;

        var (readGBps, copyGBps) = MemoryBandwidth.Measure(smoke ? 64L << 20 : 1L << 30, smoke ? 1 : 5);
        var bandwidth = Math.Max(readGBps, copyGBps) * 1e9;
        output.WriteLine($"model {name}: {spec.ParameterCount / 1e6:F1}M parameters ({spec.DType}), weights read per decode step {weightBytes / 1e6:F1} MB");
        output.WriteLine($"memory bandwidth (all {Environment.ProcessorCount} cores): read {readGBps:F2} GB/s, copy {copyGBps:F2} GB/s; roofline uses {bandwidth / 1e9:F2} GB/s");
        output.WriteLine("| batch | tokens/s (median) | ms/step | roofline tokens/s | % of roofline | vs batch 1 | forward only ms/step | step / forward only |");
        output.WriteLine("|---|---|---|---|---|---|---|---|");

        double? batchOne = null;
        foreach (var batch in new[] { 1, 4, 16 })
        {
            var blocksPerSequence = ((PromptLength + stepCount + 8) / BlockSize) + 1;
            using var runner = new CpuModelRunner(model, BlockSize, blocksPerSequence * batch, threads: 0);
            var steps = new List<double>();
            var forwards = new List<double>();
            for (var r = 0; r < repeats; r++)
            {
                Measure(runner, config, batch, stepCount, blocksPerSequence, steps, forwards);
            }

            var stepMs = Stats.Median(steps);
            var forwardMs = Stats.Median(forwards);
            var tokensPerSecond = batch * 1000 / stepMs;
            batchOne ??= tokensPerSecond;
            var contextMid = PromptLength + (stepCount / 2);
            var kvBytes = (double)batch * contextMid * config.NumLayers * 2 * config.NumKvHeads * config.HeadDim * sizeof(float);
            var roofline = batch * bandwidth / (weightBytes + kvBytes);
            output.WriteLine($"| {batch} | {tokensPerSecond:F1} | {stepMs:F1} | {roofline:F1} | {100 * tokensPerSecond / roofline:F0}% | {tokensPerSecond / batchOne:F2}x | {forwardMs:F1} | {stepMs / forwardMs:F3} |");
        }
    }

    /// <summary>
    /// Prefills <paramref name="batch"/> sequences, then times <paramref name="steps"/> decode steps through the runner
    /// contract (forward and greedy sampling of every row, as the engine drives it) into <paramref name="stepMs"/>,
    /// each followed by the same step's forward pass alone (logits only) into <paramref name="forwardMs"/>.
    /// </summary>
    private static void Measure(CpuModelRunner runner, ModelConfig config, int batch, int steps, int blocksPerSequence, List<double> stepMs, List<double> forwardMs)
    {
        var random = new Random(batch);
        var greedy = new SamplingParameters { Temperature = 0 };
        var tables = Enumerable.Range(0, batch)
            .Select(s => Enumerable.Range(s * blocksPerSequence, blocksPerSequence).ToArray())
            .ToArray();
        var histories = Enumerable.Range(0, batch).Select(_ => new int[PromptLength + steps + 2]).ToArray();
        var logits = new float[batch * config.VocabSize];
        var prefill = new ForwardBatch();
        for (var s = 0; s < batch; s++)
        {
            for (var i = 0; i < PromptLength; i++)
            {
                histories[s][i] = random.Next(config.VocabSize);
            }

            var prompt = histories[s].AsMemory(0, PromptLength);
            prefill.Add(new SequenceChunk(prompt, 0, tables[s], NeedsLogits: true), new SamplingRow(greedy, prompt, PromptLength));
        }

        runner.Execute(prefill);
        var decode = new ForwardBatch();
        for (var step = -2; step < steps; step++)
        {
            decode.Clear();
            var position = PromptLength + step + 2;
            for (var s = 0; s < batch; s++)
            {
                histories[s][position] = random.Next(config.VocabSize);
                decode.Add(
                    new SequenceChunk(histories[s].AsMemory(position, 1), position, tables[s], NeedsLogits: true),
                    new SamplingRow(greedy, histories[s].AsMemory(0, position + 1), PromptLength));
            }

            var started = Stopwatch.GetTimestamp();
            runner.Execute(decode);
            var executed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            // The same position again (it rewrites identical K/V): the forward pass without sampling.
            started = Stopwatch.GetTimestamp();
            runner.ComputeLogits(decode, logits);
            var forward = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (step >= 0)
            {
                stepMs.Add(executed);
                forwardMs.Add(forward);
            }
        }
    }
}
