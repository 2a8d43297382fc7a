namespace LlmQueue.Engine;

/// <summary>
/// Tokens produced in one engine step and the complete UTF-8 text they released; with logprobs requested, one
/// entry per token (null otherwise).
/// </summary>
public sealed record GenerationDelta(IReadOnlyList<int> TokenIds, string TextDelta, IReadOnlyList<TokenLogprob>? Logprobs = null);
