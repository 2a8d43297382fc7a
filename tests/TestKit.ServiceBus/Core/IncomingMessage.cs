namespace LlmQueue.TestKit.ServiceBus.Core;

/// <summary>A message as a sender handed it over: its encoded sections plus the facts the broker acts on.</summary>
/// <param name="Encoded">The AMQP sections exactly as received (header, properties, annotations, body).</param>
/// <param name="MessageId">properties.message-id as text.</param>
/// <param name="SessionId">properties.group-id.</param>
/// <param name="Subject">properties.subject.</param>
/// <param name="TimeToLive">header.ttl, if the sender set one.</param>
/// <param name="ScheduledEnqueueTime">x-opt-scheduled-enqueue-time, if the sender set one.</param>
internal sealed record IncomingMessage(
    byte[] Encoded,
    string? MessageId,
    string? SessionId,
    string? Subject,
    TimeSpan? TimeToLive,
    DateTime? ScheduledEnqueueTime);
