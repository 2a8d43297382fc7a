namespace LlmQueue.Engine;

/// <summary>A candidate token with its logprob and its text (the token decoded alone).</summary>
public sealed record LogprobCandidate(int TokenId, string Token, float Logprob);

/// <summary>
/// A generated token's logprob and the most likely alternatives at its position (most likely first), as the
/// runner contract defines them: log-softmax of the penalised logits over temperature, before top-k/top-p/min-p.
/// </summary>
public sealed record TokenLogprob(int TokenId, string Token, float Logprob, IReadOnlyList<LogprobCandidate> TopLogprobs);
