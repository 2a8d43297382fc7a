namespace LlmQueue.Transport;

/// <summary>How a body is framed. Replies use the request's format, so each producer reads what it wrote.</summary>
public enum WireFormat
{
    /// <summary>The contract as plain camelCase JSON (content type application/json).</summary>
    Json,

    /// <summary>The contract inside a MassTransit envelope (content type application/vnd.masstransit+json).</summary>
    MassTransitEnvelope,
}
