namespace LlmQueue.Engine.Runners;

/// <summary>
/// How to pick the token that follows one sequence. <see cref="Tokens"/> is the sequence so far (prompt, then the
/// tokens generated), the history the penalties count: a runner needs no state of its own per request, so a
/// preempted and recomputed request samples exactly as it did. The sampled token takes index
/// <see cref="Position"/>, which is also the random stream's counter.
/// </summary>
public readonly record struct SamplingRow(SamplingParameters Parameters, ReadOnlyMemory<int> Tokens, int PromptLength)
{
    /// <summary>Index the sampled token will have in the sequence (= Tokens.Length).</summary>
    public int Position => Tokens.Length;

    /// <summary>The generated tokens so far (frequency and presence penalties count these).</summary>
    public ReadOnlySpan<int> OutputTokens => Tokens.Span[PromptLength..];
}
