using LlmQueue.Engine.Cpu.Tests;
using LlmQueue.Models;
using LlmQueue.TestKit;

namespace LlmQueue.Engine.Cpu.Tests.Parity;

/// <summary>
/// Runs a fixture's checkpoint through the loader and the CPU runner and compares with its reference:
/// relative error below 1e-4 on every position (each fed as a decode step), the same last-position
/// logits from one whole-sequence prefill, and the identical greedy continuation.
/// </summary>
internal static class ParityCheck
{
    public const double Tolerance = 1e-4;
    private const int BlockSize = 4;

    public static void AssertMatches(string folder, ParityReference reference)
    {
        using var model = LlamaModel.Load(folder);
        int[] tokens = reference.Tokens;
        Assert.Equal(tokens.Length, reference.Logits.Length);
        // Pages for full-attention layers over the whole run plus sliding layers' windows: twice the run is ample.
        int blocks = 2 * (((tokens.Length + reference.Greedy.Length) / BlockSize) + 2);

        using (var stepwise = new CpuHarness(model, BlockSize, blocks, seed: 1))
        {
            for (int p = 0; p < tokens.Length; p++)
            {
                AssertClose(stepwise.Step((0, [tokens[p]], true))[0], reference.Logits[p], $"position {p} (decode)");
            }
        }

        using var generator = new CpuHarness(model, BlockSize, blocks, seed: 2);
        var logits = generator.Step((0, tokens, true))[0];
        AssertClose(logits, reference.Logits[^1], $"position {tokens.Length - 1} (prefill)");
        for (int i = 0; i < reference.Greedy.Length; i++)
        {
            int next = Array.IndexOf(logits, logits.Max());
            Assert.True(next == reference.Greedy[i], $"greedy token {i}: {next}, reference {reference.Greedy[i]}");
            logits = generator.Step((0, [next], true))[0];
        }
    }

    private static void AssertClose(float[] actual, double[] expected, string where)
    {
        double error = Compare.RelativeError(actual, expected);
        Assert.True(error < Tolerance, $"{where}: relative error {error:E2} (tolerance {Tolerance:E0})");
    }
}
