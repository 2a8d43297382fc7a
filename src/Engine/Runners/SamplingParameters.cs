namespace LlmQueue.Engine.Runners;

/// <summary>
/// One request's sampling, as every runner applies it (docs/ARCHITECTURE.md, "Sampling", states the order and the
/// arithmetic bit for bit). Immutable; the engine builds it once per request from the request's settings, with the
/// seed already chosen, so the same request always draws the same random numbers.
/// </summary>
public sealed record SamplingParameters
{
    /// <summary>Below this temperature a row is greedy (vLLM's _SAMPLING_EPS).</summary>
    public const float GreedyTemperature = 1e-5f;

    /// <summary>Most alternatives a row may ask logprobs for (OpenAI's and vLLM's default limit).</summary>
    public const int MaxLogprobs = 20;

    /// <summary>Logprobs not requested.</summary>
    public const int NoLogprobs = -1;

    /// <summary>Softmax temperature; below <see cref="GreedyTemperature"/> the row takes the argmax.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Keep the K most likely tokens; 0 = off.</summary>
    public int TopK { get; init; }

    /// <summary>Nucleus mass in (0, 1]; 1 = off.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Keep tokens at least MinP times as likely as the most likely one; 0 = off.</summary>
    public float MinP { get; init; }

    /// <summary>Subtracted once from the logit of every token the output already holds.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>Subtracted per occurrence in the output.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>Divides positive and multiplies negative logits of tokens in the prompt or the output; 1 = off.</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>Key of the counter-based random stream (<see cref="SamplingRandom"/>).</summary>
    public ulong Seed { get; init; }

    /// <summary><see cref="NoLogprobs"/>, or 0..<see cref="MaxLogprobs"/>: the sampled token's logprob plus that many top alternatives.</summary>
    public int Logprobs { get; init; } = NoLogprobs;

    public bool IsGreedy => Temperature < GreedyTemperature;

    public bool HasRepetitionPenalty => RepetitionPenalty != 1f;

    public bool HasOutputPenalties => FrequencyPenalty != 0f || PresencePenalty != 0f;

    public bool WantsLogprobs => Logprobs >= 0;
}
