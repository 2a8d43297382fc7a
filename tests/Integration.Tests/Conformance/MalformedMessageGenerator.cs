using System.Text;
using LlmQueue.Transport;

namespace LlmQueue.Integration.Tests.Conformance;

/// <summary>One generated message: body bytes and the transport properties to send it with.</summary>
public sealed record GeneratedMessage(byte[] Body, string? ContentType, string? TransportReplyTo);

/// <summary>
/// A seeded source of messages that can never be served: corrupt JSON, wrong JSON types, bytes that are not UTF-8,
/// bodies over the size cap, nesting past the depth limit, JSON that is not an object, and odd content types and
/// reply_to values on top. Every one must be dead-lettered exactly once; those that name a usable reply address are
/// also answered once.
/// </summary>
public sealed class MalformedMessageGenerator(int seed, string replyQueue)
{
    private static readonly string[] s_wrongTypes =
    [
        "\"sampling\":{\"maxTokens\":\"many\"}",
        "\"sampling\":{\"temperature\":\"warm\"}",
        "\"stream\":\"yes\"",
        "\"priority\":\"high\"",
        "\"messages\":\"hello\"",
        "\"promptTokenIds\":{\"a\":1}",
        "\"deadline\":\"tomorrow\"",
        "\"sampling\":[1,2]",
        "\"sampling\":{\"stop\":\"x\",\"stopTokenIds\":\"y\"}",
    ];

    private static readonly string?[] s_contentTypes =
    [
        ContractCodec.JsonContentType, null, "", "text/plain", ContractCodec.EnvelopeContentType, "application/json; charset=latin1", "\u00ff\u00fe/x",
    ];

    private readonly Random _random = new(seed);
    private int _next;

    public GeneratedMessage Next()
    {
        var id = $"b{_next++}";
        var body = _random.Next(8) switch
        {
            0 => Truncated(id),
            1 => WithWrongType(id),
            2 => WithInvalidByte(id),
            3 => Nested(),
            4 => Utf8(_random.Next(4) switch { 0 => "null", 1 => "42", 2 => "\"text\"", _ => "[{\"requestId\":\"x\"}]" }),
            5 => _random.Next(20) == 0 ? Huge(id) : Truncated(id),
            6 => RandomBytes(),
            _ => WithInvalidByte(id),
        };
        var contentType = s_contentTypes[_random.Next(s_contentTypes.Length)];
        var replyTo = _random.Next(3) switch { 0 => null, 1 => replyQueue, _ => "bad reply to" };
        return new GeneratedMessage(body, contentType, replyTo);
    }

    private string Valid(string id, string extra = "") =>
        $$"""{"requestId":"{{id}}","prompt":"{{new string('p', _random.Next(1, 200))}}",{{(_random.Next(2) == 0 ? $"\"replyTo\":\"{replyQueue}\"," : "")}}"sampling":{"maxTokens":4}{{extra}}}""";

    private byte[] Truncated(string id)
    {
        var valid = Utf8(Valid(id));
        // Cut before the closing brace: never valid JSON.
        return valid[..(_random.Next(1, valid.Length - 1))];
    }

    private byte[] WithWrongType(string id) => Utf8(Valid(id, "," + s_wrongTypes[_random.Next(s_wrongTypes.Length)]));

    private byte[] WithInvalidByte(string id)
    {
        var valid = Utf8(Valid(id));
        var at = _random.Next(valid.Length);
        // 0xFF and 0xC0 never occur in UTF-8; a lone continuation byte 0x80 is invalid where it lands too.
        byte[] bad = [(byte)(_random.Next(3) switch { 0 => 0xFF, 1 => 0xC0, _ => 0x80 })];
        return [.. valid[..at], .. bad, .. valid[at..]];
    }

    private byte[] Nested()
    {
        var depth = _random.Next(65, 2000);
        var open = _random.Next(2) == 0 ? "[" : "{\"a\":";
        var close = open == "[" ? "]" : "}";
        return Utf8(string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth)));
    }

    private byte[] Huge(string id) => Utf8($$"""{"requestId":"{{id}}","replyTo":"{{replyQueue}}","prompt":"{{new string('h', (1 << 20) + _random.Next(1000))}}"}""");

    private byte[] RandomBytes()
    {
        var bytes = new byte[_random.Next(1, 512)];
        _random.NextBytes(bytes);
        bytes[0] = 0xFF;
        return bytes;
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
