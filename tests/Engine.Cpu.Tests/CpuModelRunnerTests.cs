using LlmQueue.Engine.Runners;
using LlmQueue.Models;
using LlmQueue.Models.Synthetic;
using LlmQueue.Models.Weights;
using LlmQueue.TestKit;

namespace LlmQueue.Engine.Cpu.Tests;

public class CpuModelRunnerTests
{
    private static readonly SyntheticModelSpec Spec = SyntheticModelSpec.Tiny with { VocabSize = 96 };

    [Theory]
    [InlineData(TensorDType.F32, false)]
    [InlineData(TensorDType.BF16, true)]
    [InlineData(TensorDType.F16, false)]
    public void Forward_matches_fp64_reference(TensorDType dtype, bool tied)
    {
        using var folder = TestCheckpoints.Write(Spec with { DType = dtype, TieWordEmbeddings = tied, IntermediateSize = 100 });
        using var model = LlamaModel.Load(folder.Path);
        int[] tokens = RandomTokens(23, seed: 3);
        var reference = new ReferenceDecoder(model).Forward(tokens);

        using var harness = new CpuHarness(model, blockSize: 4, numBlocks: 16, seed: 1);
        var prefill = harness.Step((0, tokens[..20], true));
        Assert.True(Compare.RelativeError(prefill[0], reference[19]) < 1e-4);
        for (int p = 20; p < tokens.Length; p++)
        {
            var decode = harness.Step((0, [tokens[p]], true));
            Assert.True(Compare.RelativeError(decode[0], reference[p]) < 1e-4, $"position {p}");
        }
    }

    [Theory]
    [InlineData(new[] { 5, 16, 16 })]
    [InlineData(new[] { 1, 1, 35 })]
    [InlineData(new[] { 13, 24 })]
    public void Chunked_prefill_gives_the_same_logits_as_one_shot(int[] chunks)
    {
        using var folder = TestCheckpoints.Write(Spec);
        using var model = LlamaModel.Load(folder.Path);
        int[] prompt = RandomTokens(37, seed: 5);
        int[] decodeTokens = RandomTokens(3, seed: 6);

        using var oneShot = new CpuHarness(model, blockSize: 8, numBlocks: 12, seed: 2);
        using var chunked = new CpuHarness(model, blockSize: 8, numBlocks: 12, seed: 3);
        var expected = new List<float[]> { oneShot.Step((0, prompt, true))[0] };
        expected.AddRange(decodeTokens.Select(t => oneShot.Step((0, [t], true))[0]));

        int offset = 0;
        float[]? last = null;
        foreach (int length in chunks)
        {
            bool final = offset + length == prompt.Length;
            var step = chunked.Step((0, prompt[offset..(offset + length)], final));
            offset += length;
            last = final ? step[0] : null;
        }

        var actual = new List<float[]> { last! };
        actual.AddRange(decodeTokens.Select(t => chunked.Step((0, [t], true))[0]));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(Compare.RelativeError(actual[i], expected[i]) < 1e-6, $"row {i}");
        }
    }

    [Fact]
    public void Batched_sequences_at_different_positions_match_running_each_alone()
    {
        using var folder = TestCheckpoints.Write(Spec);
        using var model = LlamaModel.Load(folder.Path);
        int[][] prompts = [RandomTokens(9, seed: 10), RandomTokens(21, seed: 11), RandomTokens(3, seed: 12)];
        int[][] next = [RandomTokens(4, seed: 20), RandomTokens(4, seed: 21), RandomTokens(4, seed: 22)];

        using var alone = new CpuHarness(model, blockSize: 4, numBlocks: 40, seed: 4);
        var expected = new List<float[]>[3];
        for (int s = 0; s < 3; s++)
        {
            expected[s] = [alone.Step((s, prompts[s], true))[s]];
            expected[s].AddRange(next[s].Select(t => alone.Step((s, [t], true))[s]));
        }

        using var together = new CpuHarness(model, blockSize: 4, numBlocks: 40, seed: 5);
        var actual = new[] { new List<float[]>(), new List<float[]>(), new List<float[]>() };
        // Step 1: sequence 0 prefills fully, sequence 1 only part of its prompt (no logits), 2 waits.
        Collect(together.Step((0, prompts[0], true), (1, prompts[1][..10], false)), actual);
        // Step 2: a decode, the rest of a prefill and a whole prefill in one batch.
        Collect(together.Step((0, [next[0][0]], true), (1, prompts[1][10..], true), (2, prompts[2], true)), actual);
        for (int i = 0; i < 4; i++)
        {
            var work = new List<(int, int[], bool)>();
            for (int s = 0; s < 3; s++)
            {
                int index = s == 0 ? i + 1 : i;
                if (index < 4)
                {
                    work.Add((s, [next[s][index]], true));
                }
            }

            Collect(together.Step([.. work]), actual);
        }

        for (int s = 0; s < 3; s++)
        {
            Assert.Equal(expected[s].Count, actual[s].Count);
            for (int i = 0; i < expected[s].Count; i++)
            {
                Assert.True(Compare.RelativeError(actual[s][i], expected[s][i]) < 1e-6, $"sequence {s} row {i}");
            }
        }
    }

    [Fact]
    public void One_thread_and_several_threads_give_identical_logits_and_draws()
    {
        using var folder = TestCheckpoints.Write(Spec with { DType = TensorDType.BF16 });
        using var model = LlamaModel.Load(folder.Path);
        int[][] prompts = [RandomTokens(30, seed: 8), RandomTokens(7, seed: 9), RandomTokens(12, seed: 10)];
        var results = new List<(float[] Logits, int[] Tokens)>();
        foreach (int threads in new[] { 1, 3 })
        {
            using var runner = new CpuModelRunner(model, blockSize: 8, largePages: 12, threads);
            var batch = new ForwardBatch();
            for (int s = 0; s < prompts.Length; s++)
            {
                int[] table = [.. Enumerable.Range(0, 4).Select(b => (b * 3) + s)];
                var sampling = new SamplingParameters { Temperature = 0.9f, TopP = 0.9f, RepetitionPenalty = 1.2f, Seed = (ulong)s };
                batch.Add(new SequenceChunk(prompts[s], 0, table, true), new SamplingRow(sampling, prompts[s], prompts[s].Length));
            }

            var tokens = runner.Execute(batch).SampledTokens.ToArray();
            var logits = new float[prompts.Length * Spec.VocabSize];
            runner.ComputeLogits(batch, logits);
            results.Add((logits, tokens));
        }

        Assert.Equal(results[0].Logits, results[1].Logits);
        Assert.Equal(results[0].Tokens, results[1].Tokens);
    }

    private static void Collect(Dictionary<int, float[]> step, List<float[]>[] into)
    {
        foreach (var (sequence, row) in step)
        {
            into[sequence].Add(row);
        }
    }

    private static int[] RandomTokens(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => random.Next(Spec.VocabSize))];
    }
}
