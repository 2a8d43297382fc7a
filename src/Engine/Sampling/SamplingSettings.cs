using LlmQueue.Engine.Runners;

namespace LlmQueue.Engine.Sampling;

/// <summary>Resolved sampling settings (no nulls but Seed). Semantics mirror vLLM.</summary>
public sealed record SamplingSettings
{
    public int MaxTokens { get; init; } = 256;

    /// <summary>0 = greedy.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>In (0, 1]; 1 disables.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>&lt;= 0 disables.</summary>
    public int TopK { get; init; }

    /// <summary>In [0, 1]; 0 disables.</summary>
    public float MinP { get; init; }

    /// <summary>Null: a random seed per request.</summary>
    public long? Seed { get; init; }

    public IReadOnlyList<string> StopStrings { get; init; } = [];

    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    public bool IgnoreEos { get; init; }

    public float PresencePenalty { get; init; }

    public float FrequencyPenalty { get; init; }

    /// <summary>1 disables.</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>Null: none; N in 0..20: each generated token's logprob and its N most likely alternatives.</summary>
    public int? Logprobs { get; init; }

    /// <summary>What a runner samples with; an unseeded request gets its random seed here, once, so a recompute after preemption draws the same.</summary>
    public SamplingParameters ToParameters() => new()
    {
        Temperature = Temperature,
        TopK = Math.Max(0, TopK),
        TopP = TopP,
        MinP = MinP,
        PresencePenalty = PresencePenalty,
        FrequencyPenalty = FrequencyPenalty,
        RepetitionPenalty = RepetitionPenalty,
        Seed = unchecked((ulong)(Seed ?? Random.Shared.NextInt64(long.MinValue, long.MaxValue))),
        Logprobs = Logprobs ?? SamplingParameters.NoLogprobs,
    };
}
