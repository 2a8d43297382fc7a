using LlmQueue.Contracts;
using LlmQueue.Engine;

namespace LlmQueue.Serving.Replies;

/// <summary>Engine output to reply contracts.</summary>
public static class ReplyMapper
{
    public static TokenChunk ToChunk(string requestId, int attempt, int seq, GenerationDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        return new TokenChunk
        {
            RequestId = requestId, Attempt = attempt, Seq = seq, TextDelta = delta.TextDelta, TokenIds = delta.TokenIds, Logprobs = ToLogprobs(delta.Logprobs),
        };
    }

    public static GenerateCompleted ToCompleted(string requestId, int attempt, GenerationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new GenerateCompleted
        {
            RequestId = requestId,
            Attempt = attempt,
            Text = result.Text,
            TokenIds = result.TokenIds,
            Logprobs = ToLogprobs(result.Logprobs),
            FinishReason = ToFinishReason(result.FinishReason),
            Usage = new Usage
            {
                PromptTokens = result.PromptTokens,
                CachedPromptTokens = result.CachedPromptTokens,
                CompletionTokens = result.CompletionTokens,
            },
            Timings = new Timings { QueuedMs = result.QueuedMs, TtftMs = result.TtftMs, DecodeTokensPerSec = result.DecodeTokensPerSec },
        };
    }

    private static Contracts.TokenLogprob[]? ToLogprobs(IReadOnlyList<Engine.TokenLogprob>? logprobs) =>
        logprobs?.Select(l => new Contracts.TokenLogprob
        {
            TokenId = l.TokenId,
            Token = l.Token,
            Logprob = l.Logprob,
            TopLogprobs = l.TopLogprobs.Select(c => new TopLogprob { TokenId = c.TokenId, Token = c.Token, Logprob = c.Logprob }).ToArray(),
        }).ToArray();

    public static string ToFinishReason(FinishReason reason) => reason switch
    {
        FinishReason.Stop => FinishReasons.Stop,
        FinishReason.Length => FinishReasons.Length,
        FinishReason.Cancelled => FinishReasons.Cancelled,
        FinishReason.Deadline => FinishReasons.Deadline,
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "Error results are replied as GenerateFailed."),
    };
}
