using System.Globalization;
using LlmQueue.Contracts;
using LlmQueue.Engine;
using LlmQueue.Engine.Sampling;
using LlmQueue.Engine.Tokenization;

namespace LlmQueue.Worker.Requests;

/// <summary>
/// Contract to engine request. Checks only structure (ids, prompt kinds, model name); value ranges are
/// the engine's to check at Submit, so the rules live in one place.
/// </summary>
public static class RequestMapper
{
    private static readonly SamplingSettings _defaults = new();

    public static GenerationRequest Map(GenerateRequest message, ModelInfo model, long receivedTimestamp)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(model);
        if (string.IsNullOrWhiteSpace(message.RequestId))
        {
            throw Invalid("requestId is required.");
        }

        if (!string.IsNullOrEmpty(message.Model) && !string.Equals(message.Model, model.Name, StringComparison.Ordinal))
        {
            throw new InvalidRequestException(ErrorCodes.ModelNotFound, $"model '{message.Model}' is not served here; this worker serves '{model.Name}'.");
        }

        CheckPromptKinds(message);
        return new GenerationRequest
        {
            RequestId = message.RequestId,
            Prompt = message.Prompt,
            ParseSpecialTokens = message.ParseSpecialTokens,
            PromptTokenIds = message.PromptTokenIds,
            Messages = message.Messages?.Select(m => (m.Role, m.Content)).ToArray(),
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
        _ => ErrorCodes.InvalidRequest,
    };

    private static void CheckPromptKinds(GenerateRequest message)
    {
        var kinds = (message.Prompt is null ? 0 : 1) + (message.Messages is null ? 0 : 1) + (message.PromptTokenIds is null ? 0 : 1);
        if (kinds != 1)
        {
            throw Invalid($"exactly one of prompt, messages or promptTokenIds must be set, got {(kinds == 0 ? "none" : kinds.ToString(CultureInfo.InvariantCulture))}.");
        }

        if (message.Messages is { } messages && messages.Any(m => m is null || string.IsNullOrEmpty(m.Role) || m.Content is null))
        {
            throw Invalid("messages: every message needs a role and a content.");
        }
    }

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
        SkipSpecialTokens = p.SkipSpecialTokens ?? _defaults.SkipSpecialTokens,
        InvalidUtf8 = p.InvalidUtf8 switch
        {
            null or InvalidUtf8Modes.Replace => InvalidUtf8Handling.Replace,
            InvalidUtf8Modes.Error => InvalidUtf8Handling.Error,
            _ => throw Invalid($"sampling.invalidUtf8 must be \"{InvalidUtf8Modes.Replace}\" or \"{InvalidUtf8Modes.Error}\", got \"{p.InvalidUtf8}\"."),
        },
    };

    private static InvalidRequestException Invalid(string message) => new(ErrorCodes.InvalidRequest, message);
}
