using System.Text;
using System.Text.Json;
using LlmQueue.Contracts;
using LlmQueue.Transport;

namespace LlmQueue.Serving.Requests;

/// <summary>
/// Turns a delivery's bytes into a GenerateRequest, or into a failure that names the problem. Never throws: a body of
/// any size, encoding or shape ends here with an answer. Checks the size before reading anything, accepts a UTF-8
/// BOM, and on bytes that are not UTF-8 still reads the request id and reply address (with the bad bytes replaced)
/// so the producer can be told.
/// </summary>
public static class RequestDecoder
{
    private static readonly JsonDocumentOptions s_documentOptions = new() { MaxDepth = 64 };
    private static readonly Encoding s_lossyUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static DecodedRequest Decode(InboundMessage message, int maxBodyBytes)
    {
        ArgumentNullException.ThrowIfNull(message);
        var body = message.Body;
        if (body.Length > maxBodyBytes)
        {
            return Failed(ErrorCodes.MessageTooLarge, $"The body is {body.Length} bytes; this worker reads at most {maxBodyBytes}.", ScanForAddress(body.Span));
        }

        if (body.Span.StartsWith(Encoding.UTF8.Preamble))
        {
            body = body[Encoding.UTF8.Preamble.Length..];
        }

        if (!System.Text.Unicode.Utf8.IsValid(body.Span))
        {
            var readable = s_lossyUtf8.GetBytes(s_lossyUtf8.GetString(body.Span));
            return Failed(ErrorCodes.MalformedMessage, $"The body is not valid UTF-8 (first bad byte at offset {FirstInvalidByte(body.Span)}).", Peek(readable, message.ContentType));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, s_documentOptions);
        }
        catch (JsonException ex)
        {
            return Failed(ErrorCodes.MalformedMessage, $"The body is not JSON: {ex.Message}", default);
        }

        using (document)
        {
            return Bind(document.RootElement, message.ContentType);
        }
    }

    private static DecodedRequest Bind(JsonElement root, string? contentType)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Failed(ErrorCodes.MalformedMessage, $"The body is JSON {Describe(root.ValueKind)}; a GenerateRequest is a JSON object.", default);
        }

        var peek = PeekElement(root, contentType);
        var element = peek.Format == WireFormat.MassTransitEnvelope ? Property(root, "message") : root;
        try
        {
            var request = element.Deserialize<GenerateRequest>(ContractCodec.Options)
                ?? throw new JsonException("The request is JSON null.");
            return peek with { Request = request };
        }
        catch (JsonException ex)
        {
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "" : $" at {ex.Path}";
            return peek with { Failure = Failure(ErrorCodes.MalformedMessage, $"The body is not a valid GenerateRequest{field}: {ex.Message}") };
        }
    }

    /// <summary>Request id, reply address and framing of an object body; the envelope is recognised by its shape.</summary>
    private static DecodedRequest PeekElement(JsonElement root, string? contentType)
    {
        var inner = Property(root, "message");
        var isEnvelope = inner.ValueKind == JsonValueKind.Object
            && (ContractCodec.IsEnvelope(contentType) || Property(root, "messageType").ValueKind == JsonValueKind.Array);
        var request = isEnvelope ? inner : root;
        return new DecodedRequest
        {
            Format = isEnvelope ? WireFormat.MassTransitEnvelope : WireFormat.Json,
            RequestId = Text(request, "requestId") ?? "",
            BodyReplyTo = Text(request, "replyTo"),
            ResponseAddress = isEnvelope ? Text(root, "responseAddress") : null,
        };
    }

    private static DecodedRequest Peek(byte[] readable, string? contentType)
    {
        try
        {
            using var document = JsonDocument.Parse(readable, s_documentOptions);
            return document.RootElement.ValueKind == JsonValueKind.Object ? PeekElement(document.RootElement, contentType) : new DecodedRequest();
        }
        catch (JsonException)
        {
            return new DecodedRequest();
        }
    }

    /// <summary>
    /// The request id and reply address of a body too large to parse: one forward pass of a JSON reader that
    /// allocates only for those few property values (a 5 MB prompt is stepped over, not copied).
    /// </summary>
    private static DecodedRequest ScanForAddress(ReadOnlySpan<byte> body)
    {
        var found = new DecodedRequest();
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                ScanObject(ref reader, ref found, envelopeMessage: false);
            }
        }
        catch (JsonException)
        {
            // Whatever was read before the body went wrong is still useful.
        }

        return found;
    }

    private static void ScanObject(ref Utf8JsonReader reader, ref DecodedRequest found, bool envelopeMessage)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            if (!envelopeMessage && reader.TokenType == JsonTokenType.StartObject && Is(name, "message"))
            {
                found = found with { Format = WireFormat.MassTransitEnvelope };
                ScanObject(ref reader, ref found, envelopeMessage: true);
            }
            else if (reader.TokenType == JsonTokenType.String && Is(name, "requestId"))
            {
                found = found with { RequestId = reader.GetString() ?? "" };
            }
            else if (reader.TokenType == JsonTokenType.String && Is(name, "replyTo"))
            {
                found = found with { BodyReplyTo = reader.GetString() };
            }
            else if (!envelopeMessage && reader.TokenType == JsonTokenType.String && Is(name, "responseAddress"))
            {
                found = found with { ResponseAddress = reader.GetString() };
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static bool Is(string? name, string expected) => string.Equals(name, expected, StringComparison.OrdinalIgnoreCase);

    private static DecodedRequest Failed(string code, string text, DecodedRequest? peek) =>
        (peek ?? new DecodedRequest()) with { Failure = Failure(code, text) };

    private static GenerateFailed Failure(string code, string text) => new() { Code = code, Message = text };

    private static int FirstInvalidByte(ReadOnlySpan<byte> body)
    {
        System.Text.Unicode.Utf8.ToUtf16(body, new char[body.Length], out var read, out _, replaceInvalidSequences: false);
        return read;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => "true/false",
    };

    // Producers may send PascalCase as well as camelCase; the binder accepts both, so the peek does too.
    private static JsonElement Property(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return default;
    }

    private static string? Text(JsonElement element, string name)
    {
        var value = Property(element, name);
        return value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }
}
