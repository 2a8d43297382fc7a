namespace LlmQueue.Contracts;

/// <summary>Sampling settings; names and semantics mirror vLLM / OpenAI. Null means the default.</summary>
public sealed record SamplingParams
{
    /// <summary>Tokens to generate at most. Default 256.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>0 means greedy. Default 1.</summary>
    public double? Temperature { get; init; }

    /// <summary>Nucleus mass in (0, 1]. Default 1.</summary>
    public double? TopP { get; init; }

    /// <summary>Keep the K most likely tokens; 0 or -1 disables. Default disabled.</summary>
    public int? TopK { get; init; }

    /// <summary>Drop tokens whose probability is below MinP times the top probability, in [0, 1].</summary>
    public double? MinP { get; init; }

    /// <summary>Per-request seed: the same seed gives the same tokens.</summary>
    public long? Seed { get; init; }

    public IReadOnlyList<string>? Stop { get; init; }

    public IReadOnlyList<int>? StopTokenIds { get; init; }

    public bool IgnoreEos { get; init; }

    /// <summary>In [-2, 2]; subtracted once from tokens already generated.</summary>
    public double? PresencePenalty { get; init; }

    /// <summary>In [-2, 2]; subtracted per occurrence in the generated tokens.</summary>
    public double? FrequencyPenalty { get; init; }

    /// <summary>&gt; 0; 1 disables. Divides positive and multiplies negative logits of prompt and generated tokens.</summary>
    public double? RepetitionPenalty { get; init; }

    /// <summary>
    /// In [0, 20]: return each generated token's logprob and this many most likely alternatives (OpenAI / vLLM
    /// "logprobs"). Null: none.
    /// </summary>
    public int? Logprobs { get; init; }
}
