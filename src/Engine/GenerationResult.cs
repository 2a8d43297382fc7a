namespace LlmQueue.Engine;

public sealed record GenerationResult
{
    public required FinishReason FinishReason { get; init; }

    public string Text { get; init; } = "";

    public IReadOnlyList<int> TokenIds { get; init; } = [];

    /// <summary>One entry per generated token when the request asked for logprobs; null otherwise.</summary>
    public IReadOnlyList<TokenLogprob>? Logprobs { get; init; }

    public int PromptTokens { get; init; }

    public int CachedPromptTokens { get; init; }

    public int CompletionTokens { get; init; }

    public double QueuedMs { get; init; }

    public double TtftMs { get; init; }

    public double DecodeTokensPerSec { get; init; }

    /// <summary>Set when FinishReason is Error.</summary>
    public string? ErrorMessage { get; init; }
}
