using LlmQueue.Models;
using LlmQueue.Models.Synthetic;
using LlmQueue.Models.Weights;
using LlmQueue.TestKit;

namespace LlmQueue.Engine.Cpu.Tests;

/// <summary>
/// Whole logits rows against the fp64 reference where the runner conformance suite (which sees sampled tokens and
/// logprobs) does not reach: half-precision weights, a multimodal export layout, and the window boundary itself.
/// </summary>
public class CpuModelRunnerFamilyTests
{
    private const int SequenceLength = 37;

    [Theory]
    [InlineData("tiny-gemma2", TensorDType.BF16)]
    [InlineData("tiny-gemma3", TensorDType.F16)]
    [InlineData("tiny-qwen2", TensorDType.BF16)]
    public void Half_precision_weights_match_the_reference_including_the_rounded_embedding_scale(string preset, TensorDType dtype) =>
        AssertMatchesReference(SyntheticModelSpec.Preset(preset) with { DType = dtype }, "20+decode");

    [Fact]
    public void Gemma3_with_layer_types_and_a_multimodal_export_layout_matches_the_reference() =>
        AssertMatchesReference(SyntheticModelSpec.TinyGemma3 with { WriteLayerTypes = true, Multimodal = true, TieWordEmbeddings = false }, "20+decode");

    [Theory]
    [InlineData(8, true)]
    [InlineData(32, false)]
    public void Sliding_layers_ignore_keys_outside_the_window(int window, bool same)
    {
        // Two sequences that differ at position 5 only. With one layer, position 19 sees positions
        // 12..19 under window 8, so its logits agree; under window 32 it sees position 5 and they differ.
        var spec = SyntheticModelSpec.TinyGemma2 with { NumLayers = 1, SlidingWindow = window };
        using var folder = TestCheckpoints.Write(spec);
        using var model = LlamaModel.Load(folder.Path);
        Assert.Equal(window, model.Config.SlidingWindowOf(0));
        int[] a = RandomTokens(20, spec.VocabSize, seed: 1);
        int[] b = [.. a];
        b[5] = (b[5] + 1) % spec.VocabSize;
        using var harness = new CpuHarness(model, blockSize: 4, numBlocks: 16, seed: 3);
        var last = harness.Step((0, a, true), (1, b, true));
        double difference = Compare.RelativeError(last[0], last[1]);
        Assert.True(same ? difference < 1e-6 : difference > 1e-3, $"relative difference {difference:E2}");
    }

    private static void AssertMatchesReference(SyntheticModelSpec spec, string chunks)
    {
        using var folder = TestCheckpoints.Write(spec);
        using var model = LlamaModel.Load(folder.Path);
        int[] tokens = RandomTokens(SequenceLength, spec.VocabSize, seed: 7);
        var reference = new ReferenceDecoder(model).Forward(tokens);
        using var harness = new CpuHarness(model, blockSize: 4, numBlocks: 32, seed: 2);
        int position = 0;
        foreach (int length in ChunkLengths(chunks))
        {
            var logits = harness.Step((0, tokens[position..(position + length)], true))[0];
            position += length;
            double error = Compare.RelativeError(logits, reference[position - 1]);
            Assert.True(error < 1e-4, $"{spec.Family} position {position - 1}: relative error {error:E2}");
        }

        Assert.Equal(SequenceLength, position);
    }

    private static IEnumerable<int> ChunkLengths(string chunks) => chunks switch
    {
        "decode" => Enumerable.Repeat(1, SequenceLength),
        "20+decode" => [20, .. Enumerable.Repeat(1, SequenceLength - 20)],
        _ => chunks.Split(',').Select(int.Parse),
    };

    private static int[] RandomTokens(int count, int vocab, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => random.Next(vocab))];
    }
}
