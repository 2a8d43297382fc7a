using LlmQueue.Contracts;
using LlmQueue.Transport;

namespace LlmQueue.Serving.Requests;

/// <summary>
/// What a request body turned out to be: the request, or a failure with what could still be read for the reply
/// (the request id and reply address). <see cref="Format"/> is how replies to it are framed.
/// </summary>
public sealed record DecodedRequest
{
    public GenerateRequest? Request { get; init; }

    /// <summary>Set when the body is not a readable request (code malformed_message or message_too_large).</summary>
    public GenerateFailed? Failure { get; init; }

    public WireFormat Format { get; init; }

    /// <summary>The request id, also when the body failed to bind (empty when unreadable).</summary>
    public string RequestId { get; init; } = "";

    /// <summary>The body's replyTo, also when the body failed to bind.</summary>
    public string? BodyReplyTo { get; init; }

    /// <summary>A MassTransit envelope's responseAddress.</summary>
    public string? ResponseAddress { get; init; }
}
