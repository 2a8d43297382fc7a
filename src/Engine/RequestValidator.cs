using LlmQueue.Engine.Sampling;
using LlmQueue.Engine.Templates;
using LlmQueue.Engine.Tokenization;

namespace LlmQueue.Engine;

/// <summary>Submit-time checks: what the engine can tell is wrong before accepting a request.</summary>
internal static class RequestValidator
{
    /// <summary>Returns the prompt's token ids, or throws <see cref="RequestRejectedException"/>.</summary>
    public static IReadOnlyList<int> Validate(GenerationRequest request, ModelInfo model, ITokenizer tokenizer, ChatTemplate? chatTemplate)
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

        var prompt = Tokenize(request, model, tokenizer, chatTemplate);
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

    private static IReadOnlyList<int> Tokenize(GenerationRequest request, ModelInfo model, ITokenizer tokenizer, ChatTemplate? chatTemplate)
    {
        var kinds = (request.Prompt is null ? 0 : 1) + (request.PromptTokenIds is null ? 0 : 1) + (request.Messages is null ? 0 : 1);
        if (kinds != 1)
        {
            throw Invalid($"exactly one of prompt, messages or promptTokenIds must be set, got {kinds}.");
        }

        if (request.Prompt is not null)
        {
            var promptIds = new List<int>((request.Prompt.Length / 3) + 4);
            tokenizer.Encode(request.Prompt, promptIds, request.ParseSpecialTokens ? EncodeOptions.Default : EncodeOptions.UntrustedText);
            return promptIds;
        }

        if (request.Messages is not null)
        {
            // The rendered text carries the template's own BOS, as transformers' apply_chat_template does.
            return EncodeMessages(request.Messages, model, tokenizer, chatTemplate);
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

    private static List<int> EncodeMessages(IReadOnlyList<(string Role, string Content)> messages, ModelInfo model, ITokenizer tokenizer, ChatTemplate? chatTemplate)
    {
        if (chatTemplate is null)
        {
            throw Invalid($"messages: model '{model.Name}' has no chat template (tokenizer_config.json chat_template); send prompt or promptTokenIds.");
        }

        try
        {
            return ChatPromptEncoder.Encode(tokenizer, chatTemplate, messages);
        }
        catch (TemplateException ex)
        {
            throw Invalid($"messages: the chat template refused them: {ex.Message}");
        }
    }

    private static RequestRejectedException Invalid(string message) => new(RejectionReason.InvalidRequest, message);
}
