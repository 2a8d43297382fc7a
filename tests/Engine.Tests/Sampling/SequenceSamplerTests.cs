using LlmQueue.Engine.Sampling;
using Xunit;

namespace LlmQueue.Engine.Tests.Sampling;

public class SequenceSamplerTests
{
    [Fact]
    public void Greedy_is_argmax_with_the_lowest_index_on_ties()
    {
        var sampler = new SequenceSampler(new SamplingSettings { Temperature = 0 }, [], 5);
        Assert.Equal(1, sampler.Sample(new float[] { 1, 3, 3, 2, -1 }));
        Assert.Equal(4, sampler.Sample(new float[] { 1, 3, 3, 2, 9 }));
    }

    [Theory]
    [InlineData(1.0, 0, 1.0, 0.0)]
    [InlineData(0.7, 0, 1.0, 0.0)]
    [InlineData(1.0, 40, 1.0, 0.0)]
    [InlineData(1.0, 0, 0.8, 0.0)]
    [InlineData(1.0, 0, 1.0, 0.3)]
    [InlineData(0.5, 50, 0.9, 0.1)]
    [InlineData(1.3, 5, 0.5, 0.0)]
    [InlineData(1.0, 1, 1.0, 0.0)]
    [InlineData(1.0, 0, 0.0001, 0.0)]
    public void Filtered_distribution_matches_the_reference(double temperature, int topK, double topP, double minP)
    {
        const int vocabSize = 1000;
        var logits = ReferenceSampling.RandomLogits(vocabSize, seed: 7);
        var settings = new SamplingSettings
        {
            Temperature = (float)temperature, TopK = topK, TopP = (float)topP, MinP = (float)minP,
        };
        var expected = ReferenceSampling.Probabilities(
            logits.Select(l => (double)l).ToArray(), temperature, topK, topP, minP);

        AssertDistribution(expected, Probabilities(settings, [], logits));
    }

    [Theory]
    [InlineData(0, 0.9, 0.0, 8.0)]
    [InlineData(0, 1.0, 0.05, 8.0)]
    [InlineData(100, 1.0, 0.0, 8.0)]
    // Weights spanning far more than the 2^-32 the candidate buckets resolve.
    [InlineData(0, 0.999999, 0.0, 40.0)]
    [InlineData(3000, 1.0, 1e-30, 40.0)]
    public void Large_vocabulary_filters_match_the_reference(int topK, double topP, double minP, double scale)
    {
        const int vocabSize = 131072;
        var logits = ReferenceSampling.RandomLogits(vocabSize, seed: 11, scale);
        var settings = new SamplingSettings { TopK = topK, TopP = (float)topP, MinP = (float)minP };
        var expected = ReferenceSampling.Probabilities(logits.Select(l => (double)l).ToArray(), 1.0, topK, topP, minP);

        AssertDistribution(expected, Probabilities(settings, [], logits));
    }

    [Fact]
    public void Penalties_match_the_reference()
    {
        var settings = new SamplingSettings
        {
            RepetitionPenalty = 1.5f, FrequencyPenalty = 0.4f, PresencePenalty = 0.3f, Seed = 1,
        };
        int[] prompt = [1, 5];
        var sampler = new SequenceSampler(settings, prompt, 6);

        // Overwhelming logits make the generated tokens certain: 0, 0, 2.
        int[] generated = [0, 0, 2];
        foreach (var token in generated)
        {
            var forcing = new float[6];
            forcing[token] = 200f;
            Assert.Equal(token, sampler.Sample(forcing));
        }

        float[] logits = [1.0f, -0.5f, 2.0f, 0.3f, 0.8f, -1.2f];
        var penalised = ReferenceSampling.ApplyPenalties(logits, prompt, generated, 1.5, 0.4, 0.3);
        var expected = ReferenceSampling.Probabilities(penalised, 1.0);
        var actual = new float[6];
        sampler.ComputeProbabilities((float[])logits.Clone(), actual);

        AssertDistribution(expected, actual);
    }

    [Theory]
    [InlineData(6, 0.9)]
    [InlineData(0, 1.0)]
    public void Draw_frequencies_follow_the_filtered_distribution(int topK, double topP)
    {
        float[] logits = [2.0f, 1.5f, 1.0f, 0.2f, -0.5f, 0.9f, -2f, 1.7f];
        var settings = new SamplingSettings { Temperature = 0.8f, TopK = topK, TopP = (float)topP, Seed = 42 };
        var expected = ReferenceSampling.Probabilities(logits.Select(l => (double)l).ToArray(), 0.8, topK, topP);
        var sampler = new SequenceSampler(settings, [], logits.Length);
        const int draws = 40000;
        var counts = new int[logits.Length];
        for (var i = 0; i < draws; i++)
        {
            counts[sampler.Sample((float[])logits.Clone())]++;
        }

        for (var id = 0; id < logits.Length; id++)
        {
            Assert.InRange((double)counts[id] / draws, expected[id] - 0.01, expected[id] + 0.01);
        }
    }

    [Fact]
    public void Same_seed_gives_the_same_tokens_and_a_different_seed_does_not()
    {
        var logits = ReferenceSampling.RandomLogits(500, seed: 3, scale: 1);
        Assert.Equal(Draws(logits, 1234), Draws(logits, 1234));
        Assert.NotEqual(Draws(logits, 1234), Draws(logits, 1235));
    }

    [Fact]
    public void Sampling_allocates_nothing_per_token()
    {
        var logits = ReferenceSampling.RandomLogits(32000, seed: 5);
        var settings = new SamplingSettings { TopK = 50, TopP = 0.9f, MinP = 0.01f, Seed = 9 };
        var sampler = new SequenceSampler(settings, [], logits.Length);
        var buffer = new float[logits.Length];
        logits.CopyTo(buffer, 0);
        sampler.Sample(buffer);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++)
        {
            logits.CopyTo(buffer, 0);
            sampler.Sample(buffer);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void Logits_of_the_wrong_length_are_rejected()
    {
        var sampler = new SequenceSampler(new SamplingSettings(), [], 10);
        Assert.Throws<ArgumentException>(() => sampler.Sample(new float[9]));
    }

    private static List<int> Draws(float[] logits, long seed)
    {
        var sampler = new SequenceSampler(new SamplingSettings { Seed = seed }, [], logits.Length);
        return Enumerable.Range(0, 64).Select(_ => sampler.Sample((float[])logits.Clone())).ToList();
    }

    private static float[] Probabilities(SamplingSettings settings, int[] prompt, float[] logits)
    {
        var sampler = new SequenceSampler(settings, prompt, logits.Length);
        var probabilities = new float[logits.Length];
        sampler.ComputeProbabilities((float[])logits.Clone(), probabilities);
        return probabilities;
    }

    private static void AssertDistribution(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            // Filtered-out tokens must be exactly zero; kept ones close to the fp64 reference.
            if (expected[i] == 0)
            {
                Assert.True(actual[i] == 0, $"token {i}: expected filtered out, got {actual[i]}");
            }
            else
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"token {i}: expected {expected[i]}, got {actual[i]}");
            }
        }
    }
}
