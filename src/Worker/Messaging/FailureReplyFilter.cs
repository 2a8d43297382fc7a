using System.Text.Json;
using LlmQueue.Contracts;
using LlmQueue.Worker.Replies;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Worker.Messaging;

/// <summary>
/// First filter of the request endpoint's error pipe (after retries are spent): tells the producer with one
/// GenerateFailed (malformed_message for an unreadable body, internal_error otherwise) before the message
/// moves to the _error queue. Replaces MassTransit's Fault&lt;T&gt; so producers see one contract.
/// </summary>
public sealed partial class FailureReplyFilter(ILogger logger) : IFilter<ExceptionReceiveContext>
{
    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var failure = Describe(context.Exception);
        var peek = BodyPeek.Read(context.Body.GetBytes());
        LogUnservable(logger, peek.RequestId ?? "", failure.Code, context.Exception);
        try
        {
            await SendFailedAsync(context, peek, failure).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReplyFailed(logger, peek.RequestId ?? "", ex);
        }

        // A body that never became a message faulted no consumer; without this MassTransit would also
        // dead-letter it to _skipped after it was moved to _error.
        if (!context.IsFaulted)
        {
            await context.NotifyFaulted(context.Exception).ConfigureAwait(false);
        }

        await next.Send(context).ConfigureAwait(false);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("failureReply");

    internal static GenerateFailed Describe(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is JsonException json)
            {
                var field = json.Path is null ? "" : $" at {json.Path}";
                return new GenerateFailed { Code = ErrorCodes.MalformedMessage, Message = $"The body is not a valid GenerateRequest{field}: {json.Message}" };
            }
        }

        return exception is System.Runtime.Serialization.SerializationException
            ? new GenerateFailed { Code = ErrorCodes.MalformedMessage, Message = $"The body is not a valid GenerateRequest: {exception.Message}" }
            : new GenerateFailed { Code = ErrorCodes.Internal, Message = "The worker failed while serving the request; see the worker log." };
    }

    private static async Task SendFailedAsync(ExceptionReceiveContext context, BodyPeek peek, GenerateFailed failure)
    {
        var address = ResolveAddress(context, peek);
        if (address is null)
        {
            return;
        }

        var endpoint = await context.SendEndpointProvider.GetSendEndpoint(address).ConfigureAwait(false);
        var replies = ReplySender.For(endpoint, ReplyAddress.WantsRawJson(context));
        // Retry headers may be unreadable here; the broker's redelivered flag still gives the lower bound.
        var attempt = context.Redelivered ? 2 : 1;
        await replies.SendAsync(failure with { RequestId = peek.RequestId ?? "", Attempt = attempt }, CancellationToken.None).ConfigureAwait(false);
    }

    private static Uri? ResolveAddress(ReceiveContext context, BodyPeek peek)
    {
        if (ReplyAddress.QueueAddress(peek.ReplyTo) is { } replyTo)
        {
            return replyTo;
        }

        if (Uri.TryCreate(peek.ResponseAddress, UriKind.Absolute, out var responseAddress))
        {
            return responseAddress;
        }

        return ReplyAddress.AmqpReplyTo(context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} could not be served ({Code}); moving it to the error queue.")]
    private static partial void LogUnservable(ILogger logger, string requestId, string code, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not send GenerateFailed for request {RequestId}.")]
    private static partial void LogReplyFailed(ILogger logger, string requestId, Exception exception);
}
