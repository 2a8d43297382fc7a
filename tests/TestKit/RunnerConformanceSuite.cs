using LlmQueue.Engine.Runners;
using LlmQueue.Models;
using LlmQueue.Models.Synthetic;
using Xunit;

namespace LlmQueue.TestKit;

/// <summary>
/// What every <see cref="IModelRunner"/> must do, checked against the fp64 <see cref="ReferenceDecoder"/> and
/// <see cref="ReferenceSampler"/> on each synthetic family preset: prefill, chunked prefill and decode; ragged mixed
/// batches; sliding windows with released (-1) blocks that are never read; pages in shuffled order; the KV page read
/// and write round trip; seeded sampling for every option; logprobs. A backend's test project inherits it, states
/// its tolerance and builds its runner; xunit runs the inherited tests there.
/// </summary>
/// <param name="logitTolerance">
/// The largest absolute logit error the backend claims against the fp64 reference. Logprobs must be within twice
/// that (over the temperature); sampled tokens must equal the reference wherever no error that size could change the
/// choice.
/// </param>
public abstract class RunnerConformanceSuite(double logitTolerance)
{
    private const int SequenceLength = 37;
    private const int BlockTokens = 4;
    private const int LargePages = 48;

    public static TheoryData<string> Presets => [.. PresetNames];

    public static TheoryData<string, string> Chunkings()
    {
        var data = new TheoryData<string, string>();
        foreach (var preset in PresetNames)
        {
            foreach (var chunks in new[] { "decode", "20+decode", "3,8,5,1,11,9" })
            {
                data.Add(preset, chunks);
            }
        }

        return data;
    }

    public static TheoryData<string, string> SamplingCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var preset in PresetNames)
        {
            foreach (var option in SamplingOptions.Keys)
            {
                data.Add(preset, option);
            }
        }

        return data;
    }

    protected double LogitTolerance { get; } = logitTolerance;

    /// <summary>
    /// Weight scale of the models the sampling checks run: ten times the presets' 0.02, because their near-uniform
    /// logits would leave few draws no logit error could flip. A backend with a loose tolerance may sharpen further.
    /// </summary>
    protected virtual float SamplingInitStd => 0.2f;

    /// <summary>
    /// The least share of sampled draws that must be decisive at the tolerance for the sampling check to count. A
    /// backend with bf16 activations cannot make most draws decisive against the f32 reference at any sharpness
    /// (its logit error grows with the logits); it states a lower share and proves its sampler exact on exact logits
    /// in tests of its own.
    /// </summary>
    protected virtual double MinimumDecisiveShare => 0.5;

    private static string[] PresetNames => ["tiny-llama3", "tiny-qwen2", "tiny-qwen3", "tiny-gemma2", "tiny-gemma3"];

    private static Dictionary<string, SamplingParameters> SamplingOptions { get; } = new()
    {
        ["temperature"] = new() { Temperature = 0.8f, Logprobs = 3 },
        ["top-k"] = new() { TopK = 5 },
        ["top-p"] = new() { TopP = 0.8f },
        ["min-p"] = new() { MinP = 0.3f, Logprobs = 0 },
        ["repetition"] = new() { RepetitionPenalty = 1.3f, Temperature = 0.9f },
        ["frequency-presence"] = new() { FrequencyPenalty = 0.5f, PresencePenalty = 0.4f },
        ["all"] = new()
        {
            Temperature = 0.7f, TopK = 40, TopP = 0.9f, MinP = 0.05f, RepetitionPenalty = 1.2f, FrequencyPenalty = 0.3f,
            PresencePenalty = 0.2f, Logprobs = SamplingParameters.MaxLogprobs,
        },
    };

    [Theory]
    [MemberData(nameof(Chunkings))]
    public void Greedy_tokens_and_logprobs_match_the_reference_on_every_position(string preset, string chunks)
    {
        using var checkpoint = Checkpoint.Write(SyntheticModelSpec.Preset(preset));
        var tokens = RandomTokens(SequenceLength, checkpoint.Model.Config.VocabSize, seed: 7);
        var reference = new ReferenceDecoder(checkpoint.Model).Forward(tokens);
        using var harness = Harness(checkpoint.Model, shuffleSeed: 2);
        var position = 0;
        foreach (var length in ChunkLengths(chunks))
        {
            var row = harness.Step(new HarnessChunk(0, tokens[position..(position + length)], RunnerHarness.GreedyWithLogprobs))[0];
            position += length;
            AssertRow(reference[position - 1], row, harness, 0, $"{preset} position {position - 1}");
        }

        Assert.Equal(SequenceLength, position);
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void Ragged_mixed_batches_match_the_reference_for_every_sequence(string preset)
    {
        using var checkpoint = Checkpoint.Write(SyntheticModelSpec.Preset(preset));
        var vocab = checkpoint.Model.Config.VocabSize;
        int[][] prompts = [RandomTokens(9, vocab, seed: 10), RandomTokens(21, vocab, seed: 11), RandomTokens(3, vocab, seed: 12)];
        int[][] next = [RandomTokens(5, vocab, seed: 20), RandomTokens(4, vocab, seed: 21), RandomTokens(4, vocab, seed: 22)];
        using var harness = Harness(checkpoint.Model, shuffleSeed: 5);
        var greedy = RunnerHarness.GreedyWithLogprobs;
        var rows = new List<(int Sequence, SampledRow Row)>();
        void Run(params HarnessChunk[] work)
        {
            foreach (var (sequence, row) in harness.Step(work))
            {
                rows.Add((sequence, row));
                AssertRow(ReferenceAt(checkpoint.Model, harness, sequence), row, harness, sequence, $"{preset} sequence {sequence}");
            }
        }

        // A whole prefill beside part of one (no row); then a decode, the rest of that prefill and a new prefill together.
        Run(new HarnessChunk(0, prompts[0], greedy), new HarnessChunk(1, prompts[1][..10]));
        Run(new HarnessChunk(0, [next[0][0]], greedy), new HarnessChunk(1, prompts[1][10..], greedy), new HarnessChunk(2, prompts[2], greedy));
        for (var i = 0; i < 4; i++)
        {
            Run([.. Enumerable.Range(0, 3).Select(s => new HarnessChunk(s, [next[s][s == 0 ? i + 1 : i]], greedy))]);
        }

        Assert.Equal(16, rows.Count);
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void Released_and_free_pages_are_never_read(string preset)
    {
        // After every step each page no sequence holds is overwritten with garbage: a runner reading a released
        // sliding-window block (or any page outside the tables) would stop matching the reference.
        using var checkpoint = Checkpoint.Write(SyntheticModelSpec.Preset(preset));
        var tokens = RandomTokens(SequenceLength, checkpoint.Model.Config.VocabSize, seed: 9);
        var reference = new ReferenceDecoder(checkpoint.Model).Forward(tokens);
        using var harness = Harness(checkpoint.Model, shuffleSeed: 4);
        var poison = new Random(1);
        var position = 0;
        foreach (var length in ChunkLengths("5+decode"))
        {
            var row = harness.Step(new HarnessChunk(0, tokens[position..(position + length)], RunnerHarness.GreedyWithLogprobs))[0];
            position += length;
            AssertRow(reference[position - 1], row, harness, 0, $"{preset} position {position - 1}");
            PoisonUnreferencedPages(harness, poison);
        }
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void Kv_pages_copied_out_and_back_in_serve_another_sequence(string preset)
    {
        // What the remote tier does: page bytes read from one sequence's pages and written into another's fresh pages.
        using var checkpoint = Checkpoint.Write(SyntheticModelSpec.Preset(preset));
        var vocab = checkpoint.Model.Config.VocabSize;
        using var harness = Harness(checkpoint.Model, shuffleSeed: 6);
        harness.Step(new HarnessChunk(0, RandomTokens(5 * BlockTokens, vocab, seed: 13)));
        harness.CopyThroughPages(source: 0, copy: 1);

        var next = RandomTokens(3, vocab, seed: 14);
        var original = harness.Step(new HarnessChunk(0, next, RunnerHarness.GreedyWithLogprobs))[0];
        var copied = harness.Step(new HarnessChunk(1, next, RunnerHarness.GreedyWithLogprobs))[1];
        Assert.Equal(original.Token, copied.Token);
        Assert.Equal(original.TopTokenIds, copied.TopTokenIds);
        AssertClose(original.TopLogprobs, copied.TopLogprobs, 2 * LogitTolerance, $"{preset}: logprobs after the page round trip");
    }

    [Theory]
    [MemberData(nameof(SamplingCases))]
    public void Seeded_sampling_matches_the_reference_sampler(string preset, string option)
    {
        using var checkpoint = Checkpoint.Write(SyntheticModelSpec.Preset(preset) with { InitStd = SamplingInitStd });
        var vocab = checkpoint.Model.Config.VocabSize;
        const int sequences = 6;
        const int steps = 8;
        using var harness = Harness(checkpoint.Model, shuffleSeed: 8);
        var parameters = Enumerable.Range(0, sequences).Select(s => SamplingOptions[option] with { Seed = (ulong)(1000 + s) }).ToArray();
        var outputs = Enumerable.Range(0, sequences).Select(_ => new List<SampledRow>()).ToArray();
        var step = harness.Step([.. Enumerable.Range(0, sequences).Select(s => new HarnessChunk(s, RandomTokens(5 + s, vocab, seed: 30 + s), parameters[s]))]);
        for (var i = 1; i <= steps; i++)
        {
            foreach (var (sequence, row) in step)
            {
                outputs[sequence].Add(row);
            }

            step = harness.Step([.. Enumerable.Range(0, sequences).Select(s => new HarnessChunk(s, [step[s].Token], parameters[s]))]);
        }

        var decisive = 0;
        var total = 0;
        for (var s = 0; s < sequences; s++)
        {
            var history = harness.Tokens(s);
            var promptLength = harness.PromptLength(s);
            var reference = new ReferenceDecoder(checkpoint.Model).Forward(history);
            for (var i = 0; i < steps; i++)
            {
                var position = promptLength + i;
                var before = history.Take(position).ToArray();
                var (token, certain) = ReferenceSampler.Decide(reference[position - 1], parameters[s], before, promptLength, LogitTolerance);
                total++;
                if (certain)
                {
                    decisive++;
                    Assert.True(token == outputs[s][i].Token, $"{preset} {option} sequence {s} draw {i}: reference {token}, runner {outputs[s][i].Token}");
                }

                AssertLogprobs(reference[position - 1], outputs[s][i], parameters[s], before, promptLength, $"{preset} {option} sequence {s} draw {i}");
            }
        }

        Assert.True(decisive >= MinimumDecisiveShare * total, $"only {decisive} of {total} draws were decisive at tolerance {LogitTolerance}: the check says little");
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void A_seeded_row_draws_the_same_token_alone_and_in_any_batch(string preset)
    {
        using var checkpoint = Checkpoint.Write(SyntheticModelSpec.Preset(preset));
        var vocab = checkpoint.Model.Config.VocabSize;
        var prompt = RandomTokens(11, vocab, seed: 40);
        var sampling = new SamplingParameters { Temperature = 1.2f, Seed = 77 };
        int Draw(int companions)
        {
            using var harness = Harness(checkpoint.Model, shuffleSeed: companions);
            var work = Enumerable.Range(1, companions)
                .Select(c => new HarnessChunk(c, RandomTokens(3 + c, vocab, seed: c), new SamplingParameters { Seed = (ulong)c }))
                .Prepend(new HarnessChunk(0, prompt, sampling));
            return harness.Step([.. work])[0].Token;
        }

        var alone = Draw(0);
        Assert.All(new[] { 1, 3, 7 }, companions => Assert.Equal(alone, Draw(companions)));
    }

    [Fact]
    public void A_malformed_batch_is_rejected_before_anything_runs()
    {
        using var checkpoint = Checkpoint.Write(SyntheticModelSpec.Preset("tiny-llama3"));
        using var runner = CreateRunner(checkpoint.Model, BlockTokens, LargePages);
        var greedy = RunnerHarness.GreedyWithLogprobs;
        var tooShort = new ForwardBatch();
        tooShort.Add(new SequenceChunk(new[] { 1, 2, 3, 4, 5 }, 0, new[] { 3 }, true), new SamplingRow(greedy, new[] { 1, 2, 3, 4, 5 }, 5));
        Assert.Contains("block table", Assert.Throws<ArgumentException>(() => runner.Launch(tooShort)).Message, StringComparison.Ordinal);

        var missingRow = new ForwardBatch();
        missingRow.Sequences.Add(new SequenceChunk(new[] { 1 }, 0, new[] { 0 }, true));
        Assert.Throws<ArgumentException>(() => runner.Launch(missingRow));

        var wrongHistory = new ForwardBatch();
        wrongHistory.Add(new SequenceChunk(new[] { 1 }, 0, new[] { 0 }, true), new SamplingRow(greedy, new[] { 1, 1 }, 1));
        Assert.Throws<ArgumentException>(() => runner.Launch(wrongHistory));
    }

    /// <summary>The backend's runner over <paramref name="model"/> with KV memory of <paramref name="largePages"/> large pages.</summary>
    protected abstract IModelRunner CreateRunner(LlamaModel model, int blockTokens, int largePages);

    private RunnerHarness Harness(LlamaModel model, int shuffleSeed) => new(CreateRunner(model, BlockTokens, LargePages), shuffleSeed);

    /// <summary>A greedy row: the reference's argmax where it is decisive (a near tie otherwise), and its logprobs.</summary>
    private void AssertRow(double[] referenceLogits, SampledRow row, RunnerHarness harness, int sequence, string where)
    {
        var greedy = RunnerHarness.GreedyWithLogprobs;
        var history = harness.Tokens(sequence);
        var (token, decisive) = ReferenceSampler.Decide(referenceLogits, greedy, history, history.Count, LogitTolerance);
        Assert.True(decisive ? row.Token == token : referenceLogits[row.Token] >= referenceLogits.Max() - (2 * LogitTolerance),
            $"{where}: greedy token {row.Token}, reference argmax {token}");
        AssertLogprobs(referenceLogits, row, greedy, history, history.Count, where);
    }

    /// <summary>Logprobs of the row against the reference's log-softmax: the sampled token's, then the top alternatives.</summary>
    private void AssertLogprobs(double[] referenceLogits, SampledRow row, SamplingParameters parameters, IReadOnlyList<int> history, int promptLength, string where)
    {
        if (!parameters.WantsLogprobs)
        {
            return;
        }

        var expected = ReferenceSampler.Logprobs(referenceLogits, parameters, history, promptLength);
        var tolerance = 2 * LogitTolerance / (parameters.IsGreedy ? 1 : parameters.Temperature);
        Assert.True(Math.Abs(row.Logprob - expected[row.Token]) <= tolerance, $"{where}: sampled logprob {row.Logprob}, reference {expected[row.Token]}");
        Assert.Equal(parameters.Logprobs, row.TopTokenIds.Length);
        Assert.Equal(row.TopTokenIds.Length, row.TopTokenIds.Distinct().Count());
        for (var i = 0; i < row.TopTokenIds.Length; i++)
        {
            var id = row.TopTokenIds[i];
            Assert.True(Math.Abs(row.TopLogprobs[i] - expected[id]) <= tolerance, $"{where}: top {i} (token {id}) logprob {row.TopLogprobs[i]}, reference {expected[id]}");
            Assert.True(i == 0 || row.TopLogprobs[i] <= row.TopLogprobs[i - 1], $"{where}: top logprobs out of order at {i}");
        }

        if (row.TopTokenIds.Length > 0)
        {
            // Nothing left out may be clearly more likely than the least likely alternative given.
            var floor = row.TopLogprobs[^1] + (2 * tolerance);
            var missed = Enumerable.Range(0, expected.Length).Except(row.TopTokenIds).Where(id => expected[id] > floor).ToArray();
            Assert.True(missed.Length == 0, $"{where}: tokens {string.Join(", ", missed)} belong among the top logprobs");
        }
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"{what}: entry {i} is {actual[i]}, expected {expected[i]}");
        }
    }

    private static double[] ReferenceAt(LlamaModel model, RunnerHarness harness, int sequence) =>
        new ReferenceDecoder(model).Forward(harness.Tokens(sequence).ToArray())[^1];

    private static void PoisonUnreferencedPages(RunnerHarness harness, Random random)
    {
        var layout = harness.Runner.KvLayout;
        for (var type = 0; type < layout.TypeCount; type++)
        {
            var garbage = new byte[layout.SmallPageBytes(type)];
            for (var page = 0; page < harness.Pool.SmallPageCount(type); page++)
            {
                // Page ids of different types overlap in memory; only a large page free or carved for this type is this type's.
                var owner = harness.Pool.OwnerOfLargePage(harness.Pool.LargePageOf(type, page));
                if ((owner < 0 || owner == type) && harness.Pool.RefCount(type, page) == 0)
                {
                    random.NextBytes(garbage);
                    harness.Runner.WriteKvPage(type, page, garbage);
                }
            }
        }
    }

    private static IEnumerable<int> ChunkLengths(string chunks) => chunks switch
    {
        "decode" => Enumerable.Repeat(1, SequenceLength),
        "20+decode" => [20, .. Enumerable.Repeat(1, SequenceLength - 20)],
        "5+decode" => [5, .. Enumerable.Repeat(1, SequenceLength - 5)],
        _ => chunks.Split(',').Select(int.Parse),
    };

    private static int[] RandomTokens(int count, int vocab, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => random.Next(vocab))];
    }
}
