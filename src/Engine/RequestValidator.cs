using LlmQueue.Engine.Sampling;
using LlmQueue.Models.Templates;
using LlmQueue.Models.Tokenization;

namespace LlmQueue.Engine;

/// <summary>
/// Submit-time checks, the only place a request is validated: ids, prompt kinds, message shapes, sampling ranges,
/// lengths. What the engine can tell is wrong before accepting a request; each message names the field.
/// </summary>
internal static class RequestValidator
{
    /// <summary>Returns the prompt's token ids, or throws <see cref="RequestRejectedException"/>.</summary>
    public static IReadOnlyList<int> Validate(GenerationRequest request, ModelInfo model, ITokenizer tokenizer, ChatTemplate? chatTemplate)
    {
        if (string.IsNullOrWhiteSpace(request.RequestId))
        {
            throw Invalid("requestId is required.");
        }

        if (!string.IsNullOrEmpty(request.Model) && !string.Equals(request.Model, model.Name, StringComparison.Ordinal))
        {
            throw new RequestRejectedException(RejectionReason.ModelNotFound, $"model '{request.Model}' is not served here; this worker serves '{model.Name}'.");
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

    /// <summary>
    /// No tokenizer here emits a token for more than this many characters of text, so a longer prompt cannot fit the
    /// context: it is refused before seconds are spent tokenizing megabytes.
    /// </summary>
    public const int MaxCharactersPerToken = 32;

    /// <summary>Chat roles every chat template renders; a template may still refuse an order of turns.</summary>
    private static readonly string[] s_roles = ["system", "user", "assistant"];

    private static IReadOnlyList<int> Tokenize(GenerationRequest request, ModelInfo model, ITokenizer tokenizer, ChatTemplate? chatTemplate)
    {
        var kinds = (request.Prompt is null ? 0 : 1) + (request.PromptTokenIds is null ? 0 : 1) + (request.Messages is null ? 0 : 1);
        if (kinds != 1)
        {
            throw Invalid($"exactly one of prompt, messages or promptTokenIds must be set, got {(kinds == 0 ? "none" : kinds)}.");
        }

        var characters = (long)(request.Prompt?.Length ?? 0) + (request.Messages?.Sum(m => (long)(m.Content?.Length ?? 0)) ?? 0);
        var limit = (long)model.ContextLength * MaxCharactersPerToken;
        if (characters > limit)
        {
            throw new RequestRejectedException(RejectionReason.PromptTooLong,
                $"the prompt has {characters} characters; this model's context of {model.ContextLength} tokens cannot hold more than {limit}.");
        }

        if (request.Prompt is not null)
        {
            var promptIds = new List<int>((request.Prompt.Length / 3) + 4);
            tokenizer.Encode(request.Prompt, promptIds, request.ParseSpecialTokens ? EncodeOptions.Default : EncodeOptions.UntrustedText);
            return promptIds;
        }

        if (request.Messages is not null)
        {
            if (request.Messages.Count == 0)
            {
                throw Invalid("messages must hold at least one message.");
            }

            if (request.Messages.Any(m => string.IsNullOrEmpty(m.Role) || m.Content is null))
            {
                throw Invalid("messages: every message needs a role and a content.");
            }

            if (request.Messages.FirstOrDefault(m => !s_roles.Contains(m.Role, StringComparer.Ordinal)) is { Role: { } role })
            {
                throw Invalid($"messages: role '{role}' is not one of {string.Join(", ", s_roles)}.");
            }

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
