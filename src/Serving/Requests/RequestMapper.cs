using LlmQueue.Contracts;
using LlmQueue.Engine;
using LlmQueue.Engine.Sampling;
using LlmQueue.Models.Tokenization;

namespace LlmQueue.Serving.Requests;

/// <summary>
/// Contract to engine request: mapping only. Every check (ids, prompt kinds, messages, ranges, lengths) is the
/// engine's, at Submit, so the rules live in one place.
/// </summary>
public static class RequestMapper
{
    private static readonly SamplingSettings _defaults = new();

    public static GenerationRequest Map(GenerateRequest message, long receivedTimestamp)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new GenerationRequest
        {
            RequestId = message.RequestId,
            Model = message.Model,
            Prompt = message.Prompt,
            ParseSpecialTokens = message.ParseSpecialTokens,
            PromptTokenIds = message.PromptTokenIds,
            // A null entry in the JSON array maps to an empty turn, which the engine refuses with the field named.
            Messages = message.Messages?.Select(m => (m?.Role ?? "", m?.Content ?? "")).ToArray(),
            Sampling = MapSampling(message.Sampling),
            CacheSalt = message.CacheSalt,
            Priority = message.Priority,
            Deadline = message.Deadline,
            ReceivedTimestamp = receivedTimestamp,
        };
    }

    public static string ErrorCodeFor(RejectionReason reason) => reason switch
    {
        RejectionReason.PromptTooLong => ErrorCodes.PromptTooLong,
        RejectionReason.DeadlineExceeded => ErrorCodes.DeadlineExceeded,
        RejectionReason.ModelNotFound => ErrorCodes.ModelNotFound,
        _ => ErrorCodes.InvalidRequest,
    };

    private static SamplingSettings MapSampling(SamplingParams? p) => p is null ? _defaults : new SamplingSettings
    {
        MaxTokens = p.MaxTokens ?? _defaults.MaxTokens,
        Temperature = (float)(p.Temperature ?? _defaults.Temperature),
        TopP = (float)(p.TopP ?? _defaults.TopP),
        TopK = p.TopK ?? _defaults.TopK,
        MinP = (float)(p.MinP ?? _defaults.MinP),
        Seed = p.Seed,
        StopStrings = p.Stop ?? _defaults.StopStrings,
        StopTokenIds = p.StopTokenIds ?? _defaults.StopTokenIds,
        IgnoreEos = p.IgnoreEos,
        PresencePenalty = (float)(p.PresencePenalty ?? _defaults.PresencePenalty),
        FrequencyPenalty = (float)(p.FrequencyPenalty ?? _defaults.FrequencyPenalty),
        RepetitionPenalty = (float)(p.RepetitionPenalty ?? _defaults.RepetitionPenalty),
        Logprobs = p.Logprobs,
        SkipSpecialTokens = p.SkipSpecialTokens ?? _defaults.SkipSpecialTokens,
        InvalidUtf8 = p.InvalidUtf8 switch
        {
            null or InvalidUtf8Modes.Replace => InvalidUtf8Handling.Replace,
            InvalidUtf8Modes.Error => InvalidUtf8Handling.Error,
            _ => throw new RequestRejectedException(RejectionReason.InvalidRequest, $"sampling.invalidUtf8 must be \"{InvalidUtf8Modes.Replace}\" or \"{InvalidUtf8Modes.Error}\", got \"{p.InvalidUtf8}\"."),
        },
    };
}
