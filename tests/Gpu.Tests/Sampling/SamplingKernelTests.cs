using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Kernels;
using LlmQueue.Gpu.Sampling;

namespace LlmQueue.Gpu.Tests.Sampling;

/// <summary>
/// The device sampler (apply_penalties + sample_rows, here their C# twins on the fake driver, fed exactly as the runner
/// feeds them) against TestKit's fp64 ReferenceSampler on the same logits: every draw the reference calls decisive at
/// 1e-6 must pick the same token, and logprobs must agree within 1e-5.
/// </summary>
public class SamplingKernelTests
{
    private const int Vocab = 700;

    public static TheoryData<string> Options => [.. s_options.Keys];

    private static readonly Dictionary<string, SamplingParameters> s_options = new()
    {
        ["greedy"] = new() { Temperature = 0, Logprobs = 5 },
        ["temperature"] = new() { Temperature = 0.7f, Logprobs = 20 },
        ["top-k"] = new() { TopK = 12, Temperature = 1.3f },
        ["top-p"] = new() { TopP = 0.6f },
        ["min-p"] = new() { MinP = 0.2f, Logprobs = 0 },
        ["top-k-p-min-p"] = new() { TopK = 50, TopP = 0.9f, MinP = 0.02f, Temperature = 0.9f, Logprobs = 3 },
        ["penalties"] = new() { RepetitionPenalty = 1.4f, FrequencyPenalty = 0.6f, PresencePenalty = 0.5f, Logprobs = 4 },
        ["all"] = new() { Temperature = 0.8f, TopK = 40, TopP = 0.85f, MinP = 0.05f, RepetitionPenalty = 1.2f, FrequencyPenalty = 0.3f, PresencePenalty = 0.2f, Logprobs = 20 },
    };

    [Theory]
    [MemberData(nameof(Options))]
    public void Draws_and_logprobs_match_the_reference_sampler(string option)
    {
        const int rows = 24;
        var random = new Random(option.Length * 31);
        var logits = Enumerable.Range(0, rows).Select(r => ReferenceSampler.RandomLogits(Vocab, seed: 100 + r, scale: 4)).ToArray();
        var samplingRows = Enumerable.Range(0, rows).Select(r =>
        {
            var history = Enumerable.Range(0, 20 + r).Select(_ => random.Next(40)).ToArray(); // repeats, so penalties count
            return new SamplingRow(s_options[option] with { Seed = (ulong)(7 + (r * 1_000_003L)) }, history, PromptLength: 10);
        }).ToArray();

        var outputs = Sample(logits, samplingRows);
        int decisive = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = samplingRows[r];
            var history = row.Tokens.ToArray();
            var raw = logits[r].Select(l => (double)l).ToArray();
            var (token, certain) = ReferenceSampler.Decide(raw, row.Parameters, history, row.PromptLength, logitTolerance: 1e-6);
            if (certain)
            {
                decisive++;
                Assert.True(token == outputs.SampledTokens[r], $"{option} row {r}: reference {token}, device sampler {outputs.SampledTokens[r]}");
            }

            if (row.Parameters.WantsLogprobs)
            {
                var expected = ReferenceSampler.Logprobs(raw, row.Parameters, history, row.PromptLength);
                Assert.Equal(expected[outputs.SampledTokens[r]], outputs.SampledLogprobs[r], 1e-5);
                var top = expected.Select((l, id) => (l, id)).OrderByDescending(e => e.l).ThenBy(e => e.id).Take(row.Parameters.Logprobs).ToArray();
                Assert.Equal(top.Select(e => e.id), outputs.TopTokenIds(r)[..row.Parameters.Logprobs].ToArray());
                for (int i = 0; i < top.Length; i++)
                {
                    Assert.Equal(top[i].l, outputs.TopLogprobs(r)[i], 1e-5);
                }
            }
        }

        Assert.True(decisive >= rows * 3 / 4, $"only {decisive} of {rows} draws were decisive: the check says little");
    }

    [Fact]
    public void A_row_draws_the_same_token_whatever_rows_share_its_step()
    {
        var logits = ReferenceSampler.RandomLogits(Vocab, seed: 5, scale: 2);
        var row = new SamplingRow(new SamplingParameters { Temperature = 1.1f, TopP = 0.95f, Seed = 99 }, new[] { 1, 2, 3 }, 3);
        int alone = Sample([logits], [row]).SampledTokens[0];
        var others = Enumerable.Range(0, 5).Select(i => new SamplingRow(new SamplingParameters { Seed = (ulong)i, RepetitionPenalty = 1.5f }, new[] { i, i, 4 }, 1)).ToArray();
        var mixed = Sample([.. Enumerable.Range(0, 6).Select(i => i == 3 ? logits : ReferenceSampler.RandomLogits(Vocab, seed: 50 + i))], [.. others[..3], row, .. others[3..]]);
        Assert.Equal(alone, mixed.SampledTokens[3]);
    }

    [Fact]
    public void Logits_that_are_all_nan_or_minus_infinity_fall_back_to_the_argmax()
    {
        var nan = Enumerable.Repeat(float.NegativeInfinity, Vocab).ToArray();
        nan[17] = float.NaN;
        nan[40] = float.NaN;
        var infinite = Enumerable.Repeat(float.NegativeInfinity, Vocab).ToArray();
        var sampling = new SamplingParameters { Temperature = 0.9f, TopK = 3, Seed = 1 };
        var outputs = Sample([nan, infinite], [new SamplingRow(sampling, new[] { 1 }, 1), new SamplingRow(sampling, new[] { 1 }, 1)]);
        Assert.Equal(17, outputs.SampledTokens[0]);
        Assert.Equal(0, outputs.SampledTokens[1]);
    }

    /// <summary>Packs the rows as the runner does, runs both kernels on the fake driver, and unpacks the answers.</summary>
    private static StepOutputs Sample(float[][] logits, SamplingRow[] rows)
    {
        using var backend = new ReferenceBackend();
        var fake = backend.Fake;
        var packer = new SamplingPacker(Vocab);
        var words = new int[rows.Length * SamplingRowLayout.RowInts];
        var penalties = new int[(2 * SamplingPacker.PenaltyEntriesBound(rows)) + 2];
        packer.Pack(rows, rows.Length, words, penalties);
        var logitBuffer = fake.Upload<float>(logits.SelectMany(l => l).ToArray());
        var weights = fake.Allocate((long)rows.Length * Vocab * sizeof(float));
        var rowBuffer = fake.Upload<int>(words);
        var penaltyBuffer = fake.Upload<int>(penalties);
        var tokens = fake.Allocate(rows.Length * sizeof(int));
        var records = fake.Allocate((long)rows.Length * SamplingRowLayout.RecordInts * sizeof(int));
        backend.Launcher.ApplyPenalties(default, new ApplyPenaltiesCall(logitBuffer, rowBuffer, penaltyBuffer, rows.Length, Vocab));
        backend.Launcher.SampleRows(default, new SampleRowsCall(logitBuffer, weights, rowBuffer, tokens, records, rows.Length, Vocab));
        var outputs = new StepOutputs();
        outputs.Reset(rows.Length);
        SamplingPacker.Unpack(fake.Download<int>(tokens, rows.Length), fake.Download<int>(records, (long)rows.Length * SamplingRowLayout.RecordInts), rows, outputs);
        return outputs;
    }
}
