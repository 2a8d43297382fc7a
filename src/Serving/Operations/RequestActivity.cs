using System.Diagnostics;
using LlmQueue.Engine;
using LlmQueue.Transport;

namespace LlmQueue.Serving.Operations;

/// <summary>
/// The trace of one delivery (ActivitySource <see cref="SourceName"/>): started when the transport hands it over,
/// tagged with the generation's figures at the final reply and with the settlement, stopped when it is settled. A
/// W3C traceparent header on the message makes it a child of the producer's trace.
/// </summary>
public static class RequestActivity
{
    public const string SourceName = "LlmQueue.Worker";

    private static readonly ActivitySource s_source = new(SourceName);

    /// <returns>The started activity, or null when nobody listens (tracing off: no cost).</returns>
    public static Activity? Start(InboundMessage message, string transport, string queue)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!s_source.HasListeners())
        {
            return null;
        }

        ActivityContext.TryParse(message.Headers.GetValueOrDefault("traceparent"), message.Headers.GetValueOrDefault("tracestate"), out var parent);
        var activity = s_source.StartActivity($"process {queue}", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", transport)
            .SetTag("messaging.destination.name", queue)
            .SetTag("messaging.message.id", message.MessageId)
            .SetTag("llmq.attempt", Math.Max(1, message.DeliveryCount));
        return activity;
    }

    /// <summary>The final reply was sent.</summary>
    public static void Finished(Activity? activity, string requestId, string finishReason, GenerationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        activity?.SetTag("llmq.request_id", requestId)
            .SetTag("llmq.finish_reason", finishReason)
            .SetTag("llmq.prompt_tokens", result.PromptTokens)
            .SetTag("llmq.cached_prompt_tokens", result.CachedPromptTokens)
            .SetTag("llmq.generated_tokens", result.CompletionTokens)
            .SetTag("llmq.queued_ms", result.QueuedMs)
            .SetTag("llmq.ttft_ms", result.TtftMs);
    }

    public static void Settled(Activity? activity, string outcome, Settlement settlement)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("llmq.settlement", outcome);
        if (settlement.Kind == SettlementKind.DeadLetter)
        {
            activity.SetTag("llmq.dead_letter_reason", settlement.Reason);
            activity.SetStatus(ActivityStatusCode.Error, settlement.Reason);
        }
    }
}
