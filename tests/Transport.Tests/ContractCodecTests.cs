using System.Text;
using System.Text.Json;
using LlmQueue.Contracts;

namespace LlmQueue.Transport.Tests;

public sealed class ContractCodecTests
{
    [Fact]
    public void Plain_replies_are_camel_case_json_without_nulls_and_name_their_type()
    {
        var message = ContractCodec.Encode(new GenerateFailed { RequestId = "r", Code = ErrorCodes.Internal, Message = "m" }, WireFormat.Json, "r");

        using var json = JsonDocument.Parse(message.Body);
        Assert.Equal(("GenerateFailed", ContractCodec.JsonContentType, "r"), (message.MessageType, message.ContentType, message.CorrelationId));
        Assert.Equal("r", json.RootElement.GetProperty("requestId").GetString());
        Assert.False(json.RootElement.TryGetProperty("RequestId", out _));
    }

    [Fact]
    public void Enveloped_replies_carry_the_masstransit_message_type_urn_and_decode_back()
    {
        var chunk = new TokenChunk { RequestId = "r", Attempt = 2, Seq = 3, TextDelta = "x", TokenIds = [5] };

        var message = ContractCodec.Encode(chunk, WireFormat.MassTransitEnvelope);

        using var json = JsonDocument.Parse(message.Body);
        Assert.Equal("urn:message:LlmQueue.Contracts:TokenChunk", json.RootElement.GetProperty("messageType")[0].GetString());
        Assert.Equal(chunk with { TokenIds = [5] }, ContractCodec.Decode<TokenChunk>(message.Body, message.ContentType), new ChunkComparer());
        Assert.False(message.Durable);
    }

    [Theory]
    [InlineData("""{"requestId":"r","sampling":{"temperature":"0.5"}}""")]
    [InlineData("""{"requestId":"r","sampling":{"temperature":"NaN"}}""")]
    [InlineData("null")]
    public void Numbers_in_strings_and_null_bodies_do_not_decode(string json)
    {
        Assert.Throws<JsonException>(() => ContractCodec.Decode<GenerateRequest>(Encoding.UTF8.GetBytes(json), ContractCodec.JsonContentType));
    }

    private sealed class ChunkComparer : IEqualityComparer<TokenChunk>
    {
        public bool Equals(TokenChunk? x, TokenChunk? y) =>
            x is not null && y is not null && (x.RequestId, x.Attempt, x.Seq, x.TextDelta) == (y.RequestId, y.Attempt, y.Seq, y.TextDelta) && x.TokenIds.SequenceEqual(y.TokenIds);

        public int GetHashCode(TokenChunk obj) => obj.Seq;
    }
}
