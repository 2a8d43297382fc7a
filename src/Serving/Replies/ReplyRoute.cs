using LlmQueue.Transport;

namespace LlmQueue.Serving.Replies;

/// <summary>
/// Where a request's replies go. <see cref="Problem"/> is set when the body named a reply queue that cannot be one;
/// <see cref="Address"/> is then the transport's own reply address (AMQP reply_to), if any, for the one failure reply.
/// </summary>
public sealed record ReplyRoute(ReplyAddress? Address, string? Problem);
