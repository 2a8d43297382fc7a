using LlmQueue.Engine.Cpu.Tests;
using LlmQueue.Models;
using LlmQueue.Models.Synthetic;
using LlmQueue.TestKit;
using Xunit.Sdk;

namespace LlmQueue.Engine.Cpu.Tests.Parity;

/// <summary>
/// Exercises the fixture comparison on a fixture made the way make_fixtures.py makes them (24 tokens,
/// logits on every position, 32 greedy tokens), with the fp64 reference standing in for transformers;
/// transformers' own fixtures are generated on a GPU machine (tools/parity/README.md).
/// </summary>
public sealed class ParityCheckTests : IClassFixture<ParityCheckTests.Gemma2Fixture>
{
    private readonly Gemma2Fixture _fixture;

    public ParityCheckTests(Gemma2Fixture fixture) => _fixture = fixture;

    [Fact]
    public void A_fixture_from_the_fp64_reference_passes() => ParityCheck.AssertMatches(_fixture.Folder, _fixture.Reference);

    [Fact]
    public void A_logit_off_by_more_than_the_tolerance_fails_naming_the_position()
    {
        var logits = _fixture.Reference.Logits.Select(row => (double[])row.Clone()).ToArray();
        logits[10][3] += 1e-3 * logits[10].Max(Math.Abs);
        var error = Assert.ThrowsAny<XunitException>(() => ParityCheck.AssertMatches(_fixture.Folder, _fixture.Reference with { Logits = logits }));
        Assert.Contains("position 10", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_different_greedy_token_fails_naming_it()
    {
        int[] greedy = [.. _fixture.Reference.Greedy];
        greedy[20] = (greedy[20] + 1) % SyntheticModelSpec.TinyGemma2.VocabSize;
        var error = Assert.ThrowsAny<XunitException>(() => ParityCheck.AssertMatches(_fixture.Folder, _fixture.Reference with { Greedy = greedy }));
        Assert.Contains("greedy token 20", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Hugging Face transformers' logits and greedy continuation (fp32, written by make_fixtures.py) vs the CPU runner.</summary>
    [Theory]
    [InlineData("llama3")]
    [InlineData("gemma2")]
    [InlineData("gemma3")]
    [InlineData("qwen3")]
    [InlineData("qwen2")]
    [InlineData("gemma3_multimodal")]
    public void Transformers_fixture_matches(string family)
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "Parity", family);
        ParityCheck.AssertMatches(folder, ParityReference.Read(folder));
    }

    [Fact]
    public void The_reference_json_round_trips()
    {
        var read = ParityReference.Read(_fixture.Folder);
        Assert.Equal(_fixture.Reference.Tokens, read.Tokens);
        Assert.Equal(_fixture.Reference.Greedy, read.Greedy);
        Assert.Equal(_fixture.Reference.Logits, read.Logits);
    }

    /// <summary>A tiny Gemma 2 checkpoint (softcaps, windows shorter than the sequence) with its fp64 reference.json.</summary>
    public sealed class Gemma2Fixture : IDisposable
    {
        private readonly TempDirectory _folder = TestCheckpoints.Write(SyntheticModelSpec.TinyGemma2);

        public Gemma2Fixture()
        {
            var random = new Random(1234);
            int[] tokens = [.. Enumerable.Range(0, 24).Select(_ => random.Next(SyntheticModelSpec.TinyGemma2.VocabSize))];
            using (var model = LlamaModel.Load(Folder))
            {
                var decoder = new ReferenceDecoder(model);
                Reference = new ParityReference(tokens, decoder.Forward(tokens), decoder.Greedy(tokens, 32));
            }

            Reference.Write(Folder);
        }

        public string Folder => _folder.Path;

        public ParityReference Reference { get; }

        public void Dispose() => _folder.Dispose();
    }
}
