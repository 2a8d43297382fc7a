using LlmQueue.Contracts;
using LlmQueue.Engine;
using LlmQueue.Serving.Replies;

namespace LlmQueue.Serving.Tests;

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
    public void Error_results_have_no_finish_reason_string()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ReplyMapper.ToFinishReason(FinishReason.Error));
    }
}
