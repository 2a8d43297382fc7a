using System.Text.Json;
using LlmQueue.Contracts;
using LlmQueue.Serving.Replies;
using LlmQueue.Transport;

namespace LlmQueue.Serving.Callbacks;

/// <summary>
/// A request's callback as a reply channel: stream chunks are not sent; the final result is, if its event was asked
/// for. A target the worker refuses is final for the request (like a reply queue that does not exist).
/// </summary>
public sealed class CallbackReplyChannel(CallbackDispatcher dispatcher, ResultCallback callback, string requestId, TimeProvider time) : IReplyChannel
{
    public async Task SendAsync<T>(T reply, CancellationToken cancellationToken)
        where T : class
    {
        var callbackEvent = reply switch
        {
            GenerateCompleted { FinishReason: FinishReasons.Cancelled } => CallbackEvents.Cancelled,
            GenerateCompleted => CallbackEvents.Completed,
            GenerateFailed => CallbackEvents.Failed,
            _ => null,
        };
        if (callbackEvent is null || (callback.Events is { Count: > 0 } events && !events.Contains(callbackEvent, StringComparer.OrdinalIgnoreCase)))
        {
            return;
        }

        var delivery = new CallbackDelivery
        {
            WebhookId = CallbackDispatcher.WebhookId(requestId, callbackEvent),
            RequestId = requestId,
            Url = callback.Url,
            Event = callbackEvent,
            MessageType = typeof(T).Name,
            Body = JsonSerializer.Serialize(reply, ContractCodec.Options),
            FirstAttemptAt = time.GetUtcNow(),
        };
        var outcome = await dispatcher.DeliverAsync(delivery, cancellationToken).ConfigureAwait(false);
        if (outcome.Result == CallbackResult.Refused)
        {
            throw new ReplyUndeliverableException($"callback refused: {outcome.Detail}");
        }
    }
}
