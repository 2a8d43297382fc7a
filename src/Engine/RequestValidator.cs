using LlmQueue.Engine.Sampling;
using LlmQueue.Engine.Tokenization;

namespace LlmQueue.Engine;

/// <summary>Submit-time checks: what the engine can tell is wrong before accepting a request.</summary>
internal static class RequestValidator
{
    /// <summary>Returns the prompt's token ids, or throws <see cref="RequestRejectedException"/>.</summary>
    public static IReadOnlyList<int> Validate(GenerationRequest request, ModelInfo model, ITokenizer tokenizer)
    {
        if (string.IsNullOrEmpty(request.RequestId))
        {
            throw Invalid("requestId is required.");
        }

        if (request.Deadline is { } deadline && deadline <= DateTimeOffset.UtcNow)
        {
            throw new RequestRejectedException(RejectionReason.DeadlineExceeded, $"deadline {deadline:O} has already passed.");
        }

        if (SamplingValidator.Validate(request.Sampling, model.VocabSize) is { } samplingError)
        {
            throw Invalid(samplingError);
        }

        if (request.Sampling.MaxTokens >= model.ContextLength)
        {
            throw Invalid($"sampling.maxTokens {request.Sampling.MaxTokens} must be less than the model context of {model.ContextLength} tokens.");
        }

        var prompt = Tokenize(request, model, tokenizer);
        if (prompt.Count == 0)
        {
            throw Invalid("the prompt is empty.");
        }

        if (prompt.Count >= model.ContextLength)
        {
            throw new RequestRejectedException(RejectionReason.PromptTooLong,
                $"the prompt has {prompt.Count} tokens; the model context is {model.ContextLength} tokens, which must also hold at least one generated token.");
        }

        return prompt;
    }

    private static IReadOnlyList<int> Tokenize(GenerationRequest request, ModelInfo model, ITokenizer tokenizer)
    {
        if ((request.Prompt is null) == (request.PromptTokenIds is null))
        {
            throw Invalid("exactly one of prompt or promptTokenIds must be set.");
        }

        if (request.Prompt is not null)
        {
            return tokenizer.Encode(request.Prompt);
        }

        var ids = request.PromptTokenIds!;
        for (var i = 0; i < ids.Count; i++)
        {
            if ((uint)ids[i] >= (uint)model.VocabSize)
            {
                throw Invalid($"promptTokenIds[{i}] = {ids[i]} is outside the vocabulary [0, {model.VocabSize}).");
            }
        }

        return ids;
    }

    private static RequestRejectedException Invalid(string message) => new(RejectionReason.InvalidRequest, message);
}
