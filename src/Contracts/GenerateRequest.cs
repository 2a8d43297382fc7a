namespace LlmQueue.Contracts;

/// <summary>
/// A generation request. Exactly one of <see cref="Prompt"/>, <see cref="Messages"/> or
/// <see cref="PromptTokenIds"/> is set. Any AMQP client may send it as a plain JSON body
/// (camelCase, see docs/contracts.md); MassTransit producers send it as usual.
/// </summary>
public sealed record GenerateRequest
{
    /// <summary>Client-chosen idempotency key; echoed on every reply.</summary>
    public string RequestId { get; init; } = "";

    /// <summary>Model name; optional. A worker serving another model rejects the request.</summary>
    public string? Model { get; init; }

    public string? Prompt { get; init; }

    /// <summary>
    /// Only with <see cref="Prompt"/>: true makes special-token strings in it (e.g. "&lt;|im_start|&gt;") control
    /// tokens, as Hugging Face's encode does, for producers that render chat templates themselves. Default false:
    /// they are encoded as the text they are. Chat <see cref="Messages"/> content is always encoded as text.
    /// </summary>
    public bool ParseSpecialTokens { get; init; }

    public IReadOnlyList<ChatMessage>? Messages { get; init; }

    public IReadOnlyList<int>? PromptTokenIds { get; init; }

    public SamplingParams? Sampling { get; init; }

    /// <summary>When true, numbered <see cref="TokenChunk"/> messages precede the completion.</summary>
    public bool Stream { get; init; }

    /// <summary>Higher runs first among waiting requests. Default 0.</summary>
    public int Priority { get; init; }

    /// <summary>Tenant or cache salt: prefix-cache blocks are never shared across different salts.</summary>
    public string? CacheSalt { get; init; }

    /// <summary>
    /// Queue name for replies. When absent, a MassTransit envelope's responseAddress or the transport's own reply
    /// address (AMQP reply_to, Service Bus ReplyTo) is used.
    /// </summary>
    public string? ReplyTo { get; init; }

    /// <summary>An HTTP endpoint that receives the result (signed), beside or instead of a reply queue.</summary>
    public ResultCallback? Callback { get; init; }

    /// <summary>Absolute time after which the worker stops generating (FinishReason deadline).</summary>
    public DateTimeOffset? Deadline { get; init; }
}
