using System.Diagnostics;
using LlmQueue.Contracts;
using LlmQueue.Engine;
using LlmQueue.Worker.Admission;
using LlmQueue.Worker.Replies;
using LlmQueue.Worker.Requests;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Worker.Messaging;

/// <summary>
/// Admits one request into the engine, streams its replies and returns only after the final reply was
/// sent, so the message is settled after it. When the bus stops (drain timeout passed) the generation is
/// cancelled and the message is returned to the broker unsettled for another replica.
/// </summary>
public sealed partial class GenerateRequestConsumer(
    IGenerationEngine engine, AdmissionGate gate, HeldRequests held, ILogger<GenerateRequestConsumer> logger)
    : IConsumer<GenerateRequest>
{
    public async Task Consume(ConsumeContext<GenerateRequest> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var received = Stopwatch.GetTimestamp();
        var message = context.Message;
        var replies = await ReplySender.CreateAsync(context, message.ReplyTo).ConfigureAwait(false);
        if (replies is null)
        {
            LogNoReplyAddress(logger, message.RequestId);
            return;
        }

        var attempt = AttemptOf(context);
        var stopping = context.CancellationToken;
        GenerationHandle? handle;
        try
        {
            handle = await AdmitAsync(message, received, stopping).ConfigureAwait(false);
        }
        catch (InvalidRequestException ex)
        {
            await SendFailedAsync(replies, message.RequestId, attempt, ex.Code, ex.Message, stopping).ConfigureAwait(false);
            return;
        }
        catch (RequestRejectedException ex)
        {
            await SendFailedAsync(replies, message.RequestId, attempt, RequestMapper.ErrorCodeFor(ex.Reason), ex.Message, stopping).ConfigureAwait(false);
            return;
        }

        var result = handle is null
            ? new GenerationResult { FinishReason = FinishReason.Cancelled }
            : await StreamAsync(handle, message.Stream, attempt, replies, stopping).ConfigureAwait(false);

        // Cancelled because the bus is stopping, not by the client: no reply, let the broker redeliver.
        stopping.ThrowIfCancellationRequested();
        if (result.FinishReason == FinishReason.Error)
        {
            LogEngineError(logger, message.RequestId, result.ErrorMessage);
            await SendFailedAsync(replies, message.RequestId, attempt, ErrorCodes.Internal, "The engine failed while generating; see the worker log.", stopping)
                .ConfigureAwait(false);
            return;
        }

        await replies.SendAsync(ReplyMapper.ToCompleted(message.RequestId, attempt, result), stopping).ConfigureAwait(false);
    }

    /// <summary>1 on first delivery; a broker redelivery or an in-process retry starts a higher attempt.</summary>
    internal static int AttemptOf(ConsumeContext context)
    {
        var redeliveries = Math.Max(context.GetRedeliveryCount(), context.ReceiveContext.Redelivered ? 1 : 0);
        return 1 + redeliveries + context.GetRetryAttempt();
    }

    /// <summary>The engine's handle, or null when the client cancelled while the request waited for capacity.</summary>
    private async Task<GenerationHandle?> AdmitAsync(GenerateRequest message, long received, CancellationToken stopping)
    {
        var request = RequestMapper.Map(message, engine.Model, received);
        using var hold = held.Enter(request.RequestId);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stopping, hold.Token);
        try
        {
            using (await gate.EnterAsync(waiting.Token).ConfigureAwait(false))
            {
                var handle = engine.Submit(request);

                // The cancel consumer flags the hold before asking the engine, so one of the two sees it.
                if (hold.IsCancelled)
                {
                    engine.Cancel(request.RequestId);
                }

                return handle;
            }
        }
        catch (OperationCanceledException) when (hold.IsCancelled && !stopping.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task<GenerationResult> StreamAsync(
        GenerationHandle handle, bool stream, int attempt, ReplySender replies, CancellationToken stopping)
    {
        using var registration = stopping.Register(() => engine.Cancel(handle.RequestId));
        try
        {
            var seq = 0;

            // Deltas are read even when not streamed so the engine never waits on a full channel; the engine
            // completes the channel after a cancel, so the read needs no token.
            await foreach (var delta in handle.Deltas.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                if (stream)
                {
                    await replies.SendAsync(ReplyMapper.ToChunk(handle.RequestId, attempt, seq++, delta), stopping).ConfigureAwait(false);
                }
            }

            return await handle.Completion.ConfigureAwait(false);
        }
        catch
        {
            // A failed reply send: stop the generation before the retry submits the request again.
            engine.Cancel(handle.RequestId);
            await handle.Completion.ConfigureAwait(false);
            throw;
        }
    }

    private static Task SendFailedAsync(ReplySender replies, string requestId, int attempt, string code, string text, CancellationToken cancellationToken)
    {
        return replies.SendAsync(new GenerateFailed { RequestId = requestId, Attempt = attempt, Code = code, Message = text }, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} names no reply address (replyTo, ResponseAddress or reply_to); dropped.")]
    private static partial void LogNoReplyAddress(ILogger logger, string requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Engine failed request {RequestId}: {Error}")]
    private static partial void LogEngineError(ILogger logger, string requestId, string? error);
}
