using System.Net.Mime;
using LlmQueue.Contracts;
using MassTransit;

namespace LlmQueue.Worker.Replies;

/// <summary>
/// Sends the replies of one request attempt to its reply address. Raw JSON replies carry the reply's
/// type name (TokenChunk, GenerateCompleted, GenerateFailed) in the <see cref="MessageTypeHeader"/> header.
/// </summary>
public sealed class ReplySender
{
    /// <summary>Header naming the reply type on raw JSON replies.</summary>
    public const string MessageTypeHeader = "llmq-message-type";

    private static readonly ContentType _rawJson = new("application/json");

    private readonly ISendEndpoint _endpoint;
    private readonly bool _rawJsonReplies;

    private ReplySender(ISendEndpoint endpoint, bool rawJsonReplies)
    {
        _endpoint = endpoint;
        _rawJsonReplies = rawJsonReplies;
    }

    /// <summary>Null when the request names no reply address at all.</summary>
    public static async Task<ReplySender?> CreateAsync(ConsumeContext context, string? bodyReplyTo)
    {
        ArgumentNullException.ThrowIfNull(context);
        var address = ReplyAddress.Resolve(context, bodyReplyTo);
        if (address is null)
        {
            return null;
        }

        var endpoint = await context.GetSendEndpoint(address).ConfigureAwait(false);
        return For(endpoint, ReplyAddress.WantsRawJson(context.ReceiveContext));
    }

    public static ReplySender For(ISendEndpoint endpoint, bool rawJsonReplies) => new(endpoint, rawJsonReplies);

    public Task SendAsync<T>(T reply, CancellationToken cancellationToken)
        where T : class
    {
        return _endpoint.Send(reply, Configure, cancellationToken);
    }

    private void Configure<T>(SendContext<T> context)
        where T : class
    {
        if (!_rawJsonReplies)
        {
            return;
        }

        if (context.Serialization.TryGetMessageSerializer(_rawJson, out var serializer))
        {
            context.Serializer = serializer;
        }

        context.Headers.Set(MessageTypeHeader, typeof(T).Name);
    }
}
