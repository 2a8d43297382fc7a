namespace LlmQueue.Contracts;

/// <summary>
/// A generated token's log probability and the most likely alternatives at its position (most likely first).
/// Log-softmax over the whole vocabulary of the logits after the penalties and the temperature, before top-k,
/// top-p and min-p (vLLM's processed logprobs); greedy requests are not scaled.
/// </summary>
public sealed record TokenLogprob
{
    public int TokenId { get; init; }

    /// <summary>The token decoded on its own (a token holding part of a UTF-8 character shows U+FFFD).</summary>
    public string Token { get; init; } = "";

    public float Logprob { get; init; }

    /// <summary>sampling.logprobs alternatives, most likely first (the chosen token among them when it is one of the most likely).</summary>
    public IReadOnlyList<TopLogprob> TopLogprobs { get; init; } = [];
}
