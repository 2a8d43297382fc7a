namespace LlmQueue.Contracts;

public sealed record Usage
{
    public int PromptTokens { get; init; }

    /// <summary>Prompt tokens served from the prefix cache instead of being computed.</summary>
    public int CachedPromptTokens { get; init; }

    public int CompletionTokens { get; init; }
}
