using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmQueue.Transport;

/// <summary>
/// The contracts on the wire: camelCase JSON (case-insensitive on read, nulls left out on write), plain or inside a
/// MassTransit envelope. One codec for the worker and the client, so both read what the other writes.
/// </summary>
public static class ContractCodec
{
    public const string JsonContentType = "application/json";

    public const string EnvelopeContentType = "application/vnd.masstransit+json";

    /// <summary>
    /// Web defaults (camelCase, case-insensitive), nulls not written, and numbers only as JSON numbers: the web
    /// default also reads "5" and "NaN" from strings, and a NaN temperature is not a number anyone meant to send.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
    };

    /// <summary>The MassTransit message-type URN of a contract, e.g. urn:message:LlmQueue.Contracts:TokenChunk.</summary>
    public static string MessageTypeUrn(Type contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        return $"urn:message:{contract.Namespace}:{contract.Name}";
    }

    public static bool IsEnvelope(string? contentType) =>
        contentType is not null && contentType.StartsWith(EnvelopeContentType, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Frames <paramref name="message"/> in <paramref name="format"/>; the message type travels in the
    /// <see cref="MessageHeaders.MessageType"/> header either way.
    /// </summary>
    public static OutboundMessage Encode<T>(T message, WireFormat format, string? correlationId = null)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(message);
        var name = typeof(T).Name;
        byte[] body;
        if (format == WireFormat.MassTransitEnvelope)
        {
            var envelope = new JsonObject
            {
                ["messageId"] = Guid.NewGuid().ToString(),
                ["correlationId"] = correlationId,
                ["messageType"] = new JsonArray(MessageTypeUrn(typeof(T))),
                ["message"] = JsonSerializer.SerializeToNode(message, Options),
                ["sentTime"] = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ["headers"] = new JsonObject { [MessageHeaders.MessageType] = name },
            };
            body = JsonSerializer.SerializeToUtf8Bytes(envelope, Options);
        }
        else
        {
            body = JsonSerializer.SerializeToUtf8Bytes(message, Options);
        }

        return new OutboundMessage
        {
            Body = body,
            ContentType = format == WireFormat.MassTransitEnvelope ? EnvelopeContentType : JsonContentType,
            MessageType = name,
            CorrelationId = correlationId,
            MessageId = Guid.NewGuid().ToString("N"),
            Durable = typeof(T) != typeof(Contracts.TokenChunk),
        };
    }

    /// <summary>
    /// Reads a contract from a plain or enveloped body. Throws <see cref="JsonException"/> (or another exception of
    /// System.Text.Json for bytes that are not UTF-8) when the body is not one.
    /// </summary>
    public static T Decode<T>(ReadOnlyMemory<byte> body, string? contentType)
        where T : class
    {
        if (!IsEnvelope(contentType))
        {
            return JsonSerializer.Deserialize<T>(body.Span, Options) ?? throw new JsonException("The body is JSON null.");
        }

        using var document = JsonDocument.Parse(body);
        if (!document.RootElement.TryGetProperty("message", out var inner) || inner.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("The MassTransit envelope has no message object.");
        }

        return inner.Deserialize<T>(Options) ?? throw new JsonException("The envelope's message is JSON null.");
    }
}
