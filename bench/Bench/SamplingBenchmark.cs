using System.Diagnostics;
using LlmQueue.Engine.Cpu;
using LlmQueue.Engine.Cpu.Sampling;
using LlmQueue.Engine.Runners;

namespace LlmQueue.Bench;

/// <summary>
/// Sampling cost per engine step at Gemma 3's vocabulary: 64 rows of 262,144 logits, top-p 0.9 with repetition,
/// frequency and presence penalties over a 1,024-token history, one seeded draw per row. The same host sampler runs
/// (a) serially, one row after another on one thread (how the engine sampled before the runner took it over), and
/// (b) in parallel on the CPU runner's compute threads, in the same run. Logits are refreshed outside the timing.
/// </summary>
internal static class SamplingBenchmark
{
    private const int Vocab = 262_144;
    private const int HistoryTokens = 1024;

    // The sampler never reads block tables; the chunks only give the rows their place in the batch.
    private static readonly int[] _unusedTable = [0];

    public static void Run(bool smoke, TextWriter output)
    {
        var rows = smoke ? 4 : 64;
        var steps = smoke ? 2 : 10;
        var repeats = smoke ? 1 : 5;
        var batch = Batch(rows);
        var pristine = Logits(rows);
        var logits = new float[pristine.Length];
        batch.Outputs.Reset(rows);
        using var pool = new CpuWorkerPool(0);
        var sampling = new SamplingWork();

        var serial = Measure(steps, repeats, pristine, logits, () =>
        {
            for (var row = 0; row < rows; row++)
            {
                HostSampler.Sample(logits.AsSpan(row * Vocab, Vocab), batch.Sampling[row], batch.Outputs, row);
            }
        });
        var serialTokens = batch.Outputs.SampledTokens.ToArray();
        var parallel = Measure(steps, repeats, pristine, logits, () => sampling.Run(pool, batch, logits, Vocab));

        output.WriteLine($"sampling {rows} rows x vocab {Vocab}, top-p 0.9, repetition 1.1, frequency 0.5, presence 0.3, {HistoryTokens}-token histories; median of {repeats} x {steps} steps");
        output.WriteLine("| sampler | ms/step (first, cold) | ms/step (median, warm) | vs serial |");
        output.WriteLine("|---|---|---|---|");
        output.WriteLine($"| serial, one thread | {serial.Cold:F1} | {serial.Warm:F1} | 1.00x |");
        output.WriteLine($"| parallel, {pool.Workers} threads | {parallel.Cold:F1} | {parallel.Warm:F1} | {serial.Warm / parallel.Warm:F2}x |");
        output.WriteLine($"same tokens serial and parallel: {serialTokens.SequenceEqual(batch.Outputs.SampledTokens.ToArray())}");
    }

    /// <summary>The first step alone (cold: scratch buffers, JIT), then the median of per-step times over the repeats.</summary>
    private static (double Cold, double Warm) Measure(int steps, int repeats, float[] pristine, float[] logits, Action step)
    {
        pristine.CopyTo(logits, 0);
        var started = Stopwatch.GetTimestamp();
        step();
        var cold = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var samples = new List<double>();
        for (var r = 0; r < repeats * steps; r++)
        {
            pristine.CopyTo(logits, 0);
            started = Stopwatch.GetTimestamp();
            step();
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return (cold, Stats.Median(samples));
    }

    private static ForwardBatch Batch(int rows)
    {
        var random = new Random(1);
        var batch = new ForwardBatch();
        for (var row = 0; row < rows; row++)
        {
            var history = Enumerable.Range(0, HistoryTokens).Select(_ => random.Next(Vocab)).ToArray();
            var parameters = new SamplingParameters
            {
                TopP = 0.9f, RepetitionPenalty = 1.1f, FrequencyPenalty = 0.5f, PresencePenalty = 0.3f, Seed = (ulong)row,
            };
            batch.Add(new SequenceChunk(history.AsMemory(HistoryTokens - 1), HistoryTokens - 1, _unusedTable, true), new SamplingRow(parameters, history, HistoryTokens / 2));
        }

        return batch;
    }

    /// <summary>Logits shaped like a language model's: normal with a spread of 2, so top-p keeps a few hundred to thousands of tokens.</summary>
    private static float[] Logits(int rows)
    {
        var random = new Random(2);
        var logits = new float[rows * Vocab];
        for (var i = 0; i < logits.Length; i++)
        {
            var u = 1.0 - random.NextDouble();
            logits[i] = (float)(2 * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        return logits;
    }
}
