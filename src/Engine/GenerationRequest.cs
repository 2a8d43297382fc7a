using LlmQueue.Engine.Sampling;

namespace LlmQueue.Engine;

/// <summary>A request as the engine sees it. Exactly one of Prompt, Messages or PromptTokenIds is set.</summary>
public sealed record GenerationRequest
{
    public required string RequestId { get; init; }

    /// <summary>When set, must name the model the engine serves (its <see cref="ModelInfo.Name"/>).</summary>
    public string? Model { get; init; }

    public string? Prompt { get; init; }

    /// <summary>With Prompt: special-token strings in it become control tokens (Hugging Face's encode); false: text.</summary>
    public bool ParseSpecialTokens { get; init; }

    public IReadOnlyList<int>? PromptTokenIds { get; init; }

    /// <summary>Chat turns, rendered with the model's chat template (with the generation prompt).</summary>
    public IReadOnlyList<(string Role, string Content)>? Messages { get; init; }

    public SamplingSettings Sampling { get; init; } = new();

    public string? CacheSalt { get; init; }

    public int Priority { get; init; }

    public DateTimeOffset? Deadline { get; init; }

    /// <summary>When the host received the message; queue time and TTFT are measured from here.</summary>
    public long ReceivedTimestamp { get; init; } = System.Diagnostics.Stopwatch.GetTimestamp();
}
