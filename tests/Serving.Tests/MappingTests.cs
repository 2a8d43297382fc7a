using System.Text;
using System.Text.Json;
using LlmQueue.Contracts;
using LlmQueue.Engine;
using LlmQueue.Worker.Messaging;
using LlmQueue.Worker.Replies;

namespace LlmQueue.Worker.Tests;

public sealed class MappingTests
{
    [Theory]
    [InlineData(FinishReason.Stop, "stop")]
    [InlineData(FinishReason.Length, "length")]
    [InlineData(FinishReason.Cancelled, "cancelled")]
    [InlineData(FinishReason.Deadline, "deadline")]
    public void Finish_reasons_use_the_contract_strings(FinishReason reason, string expected)
    {
        Assert.Equal(expected, ReplyMapper.ToFinishReason(reason));
    }

    [Fact]
    public void Wrong_json_type_is_a_malformed_message_naming_the_field()
    {
        var error = Assert.ThrowsAny<JsonException>(() =>
            JsonSerializer.Deserialize<GenerateRequest>("""{"requestId":"r","sampling":{"maxTokens":"abc"}}""", JsonSerializerOptions.Web));

        var failed = FailureReplyFilter.Describe(new InvalidOperationException("wrapped", error));

        Assert.Equal(ErrorCodes.MalformedMessage, failed.Code);
        Assert.Contains("$.sampling.maxTokens", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_failures_are_internal_errors()
    {
        Assert.Equal(ErrorCodes.Internal, FailureReplyFilter.Describe(new InvalidOperationException("send failed")).Code);
    }

    [Theory]
    [InlineData("""{"requestId":"r1","replyTo":"q1","sampling":{"maxTokens":"abc"}}""", "r1", "q1", null)]
    [InlineData("""{"RequestId":"r2"}""", "r2", null, null)]
    [InlineData("""{"responseAddress":"rabbitmq://h/q","message":{"requestId":"r3"}}""", "r3", null, "rabbitmq://h/q")]
    [InlineData("""{"requestId": 5}""", null, null, null)]
    [InlineData("not json", null, null, null)]
    [InlineData("[1,2]", null, null, null)]
    public void Body_peek_reads_what_it_can(string body, string? requestId, string? replyTo, string? responseAddress)
    {
        Assert.Equal(new BodyPeek(requestId, replyTo, responseAddress), BodyPeek.Read(Encoding.UTF8.GetBytes(body)));
    }
}
