using System.Text;
using LlmQueue.Contracts;
using LlmQueue.Serving.Requests;
using LlmQueue.Transport;

namespace LlmQueue.Serving.Tests.Requests;

public sealed class RequestDecoderTests
{
    private const int Limit = 4096;

    [Fact]
    public void A_plain_request_binds_and_replies_are_plain()
    {
        var decoded = Decode("""{"requestId":"r1","prompt":"hi","replyTo":"q","sampling":{"maxTokens":3}}""");

        Assert.Null(decoded.Failure);
        Assert.Equal(("r1", "hi", 3, "q", WireFormat.Json), (decoded.Request!.RequestId, decoded.Request.Prompt, decoded.Request.Sampling!.MaxTokens, decoded.BodyReplyTo, decoded.Format));
    }

    [Fact]
    public void A_masstransit_envelope_is_unwrapped_and_its_response_address_kept()
    {
        var decoded = Decode("""{"messageType":["urn:message:LlmQueue.Contracts:GenerateRequest"],"responseAddress":"rabbitmq://h/v/replies","message":{"requestId":"r3","prompt":"p"}}""");

        Assert.Equal(("r3", WireFormat.MassTransitEnvelope, "rabbitmq://h/v/replies"), (decoded.Request!.RequestId, decoded.Format, decoded.ResponseAddress));
    }

    [Fact]
    public void The_envelope_content_type_on_a_plain_body_still_reads_it_as_plain()
    {
        var decoded = RequestDecoder.Decode(Message("""{"requestId":"r4","prompt":"p"}""", ContractCodec.EnvelopeContentType), Limit);

        Assert.Equal(("r4", WireFormat.Json), (decoded.Request!.RequestId, decoded.Format));
    }

    [Fact]
    public void A_utf8_bom_is_skipped()
    {
        var body = Encoding.UTF8.Preamble.ToArray().Concat(Encoding.UTF8.GetBytes("""{"requestId":"bom","prompt":"p"}""")).ToArray();

        Assert.Equal("bom", RequestDecoder.Decode(new InboundMessage { Body = body }, Limit).Request!.RequestId);
    }

    [Fact]
    public void Invalid_utf8_is_malformed_but_the_id_and_reply_address_are_still_read()
    {
        byte[] body = [.. Encoding.UTF8.GetBytes("{\"requestId\":\"abc\",\"prompt\":\"x"), 0x80, 0x81, .. Encoding.UTF8.GetBytes("\",\"replyTo\":\"q\"}")];

        var decoded = RequestDecoder.Decode(new InboundMessage { Body = body }, Limit);

        Assert.Equal(ErrorCodes.MalformedMessage, decoded.Failure!.Code);
        Assert.Contains("UTF-8", decoded.Failure.Message, StringComparison.Ordinal);
        Assert.Contains("offset 30", decoded.Failure.Message, StringComparison.Ordinal);
        Assert.Equal(("abc", "q"), (decoded.RequestId, decoded.BodyReplyTo));
    }

    [Theory]
    [InlineData("null", "JSON null")]
    [InlineData("[1]", "an array")]
    [InlineData("\"text\"", "a string")]
    [InlineData("{ not json", "not JSON")]
    [InlineData("""{"requestId":"r","sampling":{"temperature":"NaN"}}""", "$.sampling.temperature")]
    [InlineData("""{"requestId":"r","sampling":{"maxTokens":"5"}}""", "$.sampling.maxTokens")]
    [InlineData("""{"requestId":"r","stream":"yes"}""", "$.stream")]
    public void Unreadable_bodies_are_malformed_naming_the_problem(string body, string mentioned)
    {
        var decoded = Decode(body);

        Assert.Null(decoded.Request);
        Assert.Equal(ErrorCodes.MalformedMessage, decoded.Failure!.Code);
        Assert.Contains(mentioned, decoded.Failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_type_failures_keep_the_id_and_reply_address()
    {
        var decoded = Decode("""{"requestId":"r1","replyTo":"q1","sampling":{"maxTokens":"abc"}}""");

        Assert.Equal((ErrorCodes.MalformedMessage, "r1", "q1"), (decoded.Failure!.Code, decoded.RequestId, decoded.BodyReplyTo));
    }

    [Fact]
    public void Nesting_past_the_depth_limit_is_malformed()
    {
        var decoded = Decode(new string('[', 100) + new string(']', 100));

        Assert.Contains("depth", decoded.Failure!.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_body_over_the_limit_is_refused_before_it_is_read()
    {
        var body = new byte[Limit + 1];
        Array.Fill(body, (byte)'{');

        var decoded = RequestDecoder.Decode(new InboundMessage { Body = body }, Limit);

        Assert.Equal(ErrorCodes.MessageTooLarge, decoded.Failure!.Code);
        Assert.Contains($"{Limit + 1} bytes", decoded.Failure.Message, StringComparison.Ordinal);
        Assert.Equal("", decoded.RequestId);
    }

    [Theory]
    [InlineData("""{"prompt":"PROMPT","requestId":"big","sampling":{"stop":["x"]},"replyTo":"q"}""", WireFormat.Json, "q", null)]
    [InlineData("""{"responseAddress":"rabbitmq://h/r","message":{"prompt":"PROMPT","requestId":"big"},"messageType":["x"]}""", WireFormat.MassTransitEnvelope, null, "rabbitmq://h/r")]
    [InlineData("""{"requestId":"big","replyTo":"q","prompt":"PROMPT""", WireFormat.Json, "q", null)]
    public void A_body_over_the_limit_still_names_its_id_and_reply_address_wherever_they_are(string template, WireFormat format, string? replyTo, string? responseAddress)
    {
        var body = Encoding.UTF8.GetBytes(template.Replace("PROMPT", new string('x', 2 * Limit), StringComparison.Ordinal));

        var decoded = RequestDecoder.Decode(new InboundMessage { Body = body }, Limit);

        Assert.Equal((ErrorCodes.MessageTooLarge, "big", format, replyTo, responseAddress),
            (decoded.Failure!.Code, decoded.RequestId, decoded.Format, decoded.BodyReplyTo, decoded.ResponseAddress));
    }

    [Theory]
    [InlineData("""{"RequestId":"r2","ReplyTo":"q2","Sampling":{"MaxTokens":"x"}}""", "r2", "q2")]
    [InlineData("""{"requestId": 5,"replyTo":"q","sampling":{"maxTokens":"x"}}""", "", "q")]
    public void The_peek_accepts_any_casing_and_ignores_non_string_ids(string body, string requestId, string replyTo)
    {
        var decoded = Decode(body);

        Assert.Equal((requestId, replyTo), (decoded.RequestId, decoded.BodyReplyTo));
    }

    private static DecodedRequest Decode(string json) => RequestDecoder.Decode(Message(json, ContractCodec.JsonContentType), Limit);

    private static InboundMessage Message(string json, string contentType) => new() { Body = Encoding.UTF8.GetBytes(json), ContentType = contentType };
}
