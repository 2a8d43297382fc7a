using LlmQueue.Contracts;
using LlmQueue.Engine;
using LlmQueue.Serving.Replies;
using LlmQueue.Serving.Requests;

namespace LlmQueue.Serving.Tests;

/// <summary>sampling.logprobs reaches the engine, and the engine's per-token logprobs reach both reply kinds.</summary>
public class LogprobsMappingTests
{
    [Fact]
    public void The_requested_count_reaches_the_engine_and_null_means_none()
    {
        var asked = RequestMapper.Map(new GenerateRequest { RequestId = "r", Prompt = "p", Sampling = new SamplingParams { Logprobs = 4 } }, 0);
        var plain = RequestMapper.Map(new GenerateRequest { RequestId = "r", Prompt = "p" }, 0);

        Assert.Equal(4, asked.Sampling.Logprobs);
        Assert.Null(plain.Sampling.Logprobs);
    }

    [Fact]
    public void Chunks_and_the_completion_carry_each_tokens_logprob_and_alternatives()
    {
        var logprob = new Engine.TokenLogprob(7, "a", -0.5f, [new LogprobCandidate(7, "a", -0.5f), new LogprobCandidate(9, "b", -1.5f)]);

        var chunk = ReplyMapper.ToChunk("r", 0, 0, new GenerationDelta([7], "a", [logprob]));
        var completed = ReplyMapper.ToCompleted("r", 0, new GenerationResult { FinishReason = FinishReason.Length, TokenIds = [7], Logprobs = [logprob] });
        var plain = ReplyMapper.ToChunk("r", 0, 1, new GenerationDelta([7], "a"));

        foreach (var entries in new[] { chunk.Logprobs!, completed.Logprobs! })
        {
            var entry = Assert.Single(entries);
            Assert.Equal((7, "a", -0.5f), (entry.TokenId, entry.Token, entry.Logprob));
            Assert.Equal([(7, "a", -0.5f), (9, "b", -1.5f)], entry.TopLogprobs.Select(t => (t.TokenId, t.Token, t.Logprob)));
        }

        Assert.Null(plain.Logprobs);
    }
}
