using Xunit.Abstractions;
using LlmQueue.Engine.Tests.Cpu;
using LlmQueue.Gpu.Checks;
using LlmQueue.Gpu.Planning;

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
        using var gpu = new FakeGpu();
        using var harness = new ForwardHarness(gpu.Cuda, gpu.Blas, gpu.Module, model, blockTokens: 4, largePages: 32, new StepLimits(64, 4, 128), shuffleSeed: 2);
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
