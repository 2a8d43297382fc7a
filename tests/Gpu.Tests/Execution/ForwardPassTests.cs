using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Checks;
using LlmQueue.Gpu.Planning;
using Xunit.Abstractions;

namespace LlmQueue.Gpu.Tests.Execution;

/// <summary>
/// The whole launch sequence of a step, run on the fake driver (every kernel as its C# reference, products in f64),
/// against the independent fp64 reference decoder, for every family preset in bf16: prefill then decode, uneven
/// chunks, sequences longer than the sliding windows, block tables through a shuffled pool.
/// </summary>
public class ForwardPassTests(ITestOutputHelper output)
{
    private const int SequenceLength = 37;

    // bf16 activations (product inputs, q, K/V) against an f64 reference: each rounding is 2^-9 relative, and a few
    // layers compound them. Logits within 3% of the reference's scale; the CPU runner (f32 activations) is held to 1e-4.
    private const double Tolerance = 3e-2;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string preset in new[] { "tiny-llama3", "tiny-qwen2", "tiny-qwen3", "tiny-gemma2", "tiny-gemma3" })
        {
            foreach (string chunks in new[] { "20+decode", "3,8,5,1,11,9" })
            {
                data.Add(preset, chunks);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Logits_match_the_fp64_reference_decoder(string preset, string chunks)
    {
        var spec = SyntheticModelSpec.Preset(preset) with { DType = TensorDType.BF16 };
        using var model = TestModels.Load(spec, preset + "-bf16");
        int[] tokens = RandomTokens(SequenceLength, spec.VocabSize, seed: 7);
        var reference = new ReferenceDecoder(model).Forward(tokens);
        using var gpu = new ReferenceBackend();
        using var harness = new ForwardHarness(gpu.Fake, gpu.Blas, gpu.Kernels, model, blockTokens: 4, largePages: 32, new StepLimits(64, 4, 128), shuffleSeed: 2);
        int position = 0;
        double worst = 0;
        foreach (int length in ChunkLengths(chunks))
        {
            var logits = harness.Step((0, tokens[position..(position + length)], true))[0];
            position += length;
            double error = Errors.Relative(logits, reference[position - 1]);
            worst = Math.Max(worst, error);
            Assert.True(error < Tolerance, $"{preset} position {position - 1}: relative error {error:E2}");
        }

        Assert.Equal(SequenceLength, position);
        output.WriteLine($"{preset} {chunks}: worst relative error {worst:E2}");
    }

    [Fact]
    public void Decode_steps_replayed_from_graph_buckets_equal_steps_launched_directly()
    {
        var spec = SyntheticModelSpec.TinyGemma2 with { DType = TensorDType.BF16 };
        using var model = TestModels.Load(spec, "tiny-gemma2-bf16");
        using var gpu = new ReferenceBackend();
        using var direct = new ForwardHarness(gpu.Fake, gpu.Blas, gpu.Kernels, model, blockTokens: 4, largePages: 48, new StepLimits(64, 4, 128), shuffleSeed: 5);
        using var graphed = new ForwardHarness(gpu.Fake, gpu.Blas, gpu.Kernels, model, blockTokens: 4, largePages: 48, new StepLimits(64, 4, 128), shuffleSeed: 5);
        var buckets = new GraphBuckets(4);
        var prompts = new[] { RandomTokens(9, spec.VocabSize, 1), RandomTokens(4, spec.VocabSize, 2), RandomTokens(13, spec.VocabSize, 3) };
        var work = prompts.Select((p, i) => (i, p, true)).ToArray();
        var next = direct.Step(work);
        Assert.Equal(next.Values, graphed.Step(work).Values);

        var launchesBefore = gpu.Fake.DirectLaunches.Values.Sum();
        for (int step = 0; step < 6; step++)
        {
            var tokens = next.OrderBy(e => e.Key).Select(e => (e.Key, Argmax(e.Value))).ToArray();
            var expected = direct.Step([.. tokens.Select(t => (t.Key, new[] { t.Item2 }, true))]);
            int directLaunches = gpu.Fake.DirectLaunches.Values.Sum();
            var actual = graphed.DecodeWithGraph(buckets, tokens);
            Assert.Equal(directLaunches, gpu.Fake.DirectLaunches.Values.Sum()); // the graphed step launched nothing itself
            foreach (var (sequence, logits) in expected)
            {
                Assert.True(Errors.Relative(actual[sequence], logits) < 1e-6, $"step {step}, sequence {sequence}");
            }

            next = expected;
        }

        Assert.True(gpu.Fake.ReplayedOperations > 0);
        Assert.True(gpu.Fake.DirectLaunches.Values.Sum() > launchesBefore);
    }

    [Fact]
    public void Sequences_batched_together_get_the_logits_they_get_alone()
    {
        var spec = SyntheticModelSpec.TinyGemma3 with { DType = TensorDType.BF16 };
        using var model = TestModels.Load(spec, "tiny-gemma3-bf16");
        using var gpu = new ReferenceBackend();
        using var together = new ForwardHarness(gpu.Fake, gpu.Blas, gpu.Kernels, model, blockTokens: 4, largePages: 64, new StepLimits(64, 4, 128), shuffleSeed: 8);
        using var alone = new ForwardHarness(gpu.Fake, gpu.Blas, gpu.Kernels, model, blockTokens: 4, largePages: 64, new StepLimits(64, 4, 128), shuffleSeed: 9);
        int[] a = RandomTokens(21, spec.VocabSize, 4);
        int[] b = RandomTokens(6, spec.VocabSize, 5);
        var both = together.Step((0, a[..12], true), (1, b, true));
        var second = together.Step((0, a[12..], true), (1, [3], true));
        var aloneA = alone.Step((0, a[..12], true));
        var aloneB = alone.Step((1, b, true));
        Assert.True(Errors.Relative(both[0], aloneA[0]) < 1e-6);
        Assert.True(Errors.Relative(both[1], aloneB[1]) < 1e-6);
        Assert.True(Errors.Relative(second[0], alone.Step((0, a[12..], true))[0]) < 1e-6);
        Assert.True(Errors.Relative(second[1], alone.Step((1, [3], true))[1]) < 1e-6);
    }

    private static int Argmax(float[] values) => Array.IndexOf(values, values.Max());

    private static IEnumerable<int> ChunkLengths(string chunks) => chunks switch
    {
        "20+decode" => [20, .. Enumerable.Repeat(1, SequenceLength - 20)],
        _ => chunks.Split(',').Select(int.Parse),
    };

    internal static int[] RandomTokens(int count, int vocab, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => random.Next(vocab))];
    }
}
