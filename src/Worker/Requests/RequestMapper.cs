using LlmQueue.Contracts;
using LlmQueue.Engine;
using LlmQueue.Engine.Sampling;

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
            PromptTokenIds = message.PromptTokenIds,
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
        if (message.Messages is not null)
        {
            throw Invalid("messages is not supported yet (chat templates are not implemented); send prompt or promptTokenIds.");
        }

        var hasPrompt = message.Prompt is not null;
        var hasTokens = message.PromptTokenIds is not null;
        if (hasPrompt && hasTokens)
        {
            throw Invalid("exactly one of prompt or promptTokenIds must be set, got both.");
        }

        if (!hasPrompt && !hasTokens)
        {
            throw Invalid("exactly one of prompt or promptTokenIds must be set, got neither.");
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
    };

    private static InvalidRequestException Invalid(string message) => new(ErrorCodes.InvalidRequest, message);
}
