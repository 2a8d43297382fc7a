using LlmQueue.Models.Tokenization;
using Xunit;

namespace LlmQueue.Models.Tests.Tokenization;

public class StopStringMatcherTests
{
    [Fact]
    public void Text_that_may_start_a_stop_string_is_held_back_then_released()
    {
        var matcher = new StopStringMatcher(["STOP"]);
        Assert.Equal(new OutputDelta("hello ", false), matcher.Append("hello ST"));
        Assert.Equal(new OutputDelta("STart", false), matcher.Append("art"));
        Assert.Equal(new OutputDelta(string.Empty, false), matcher.Append("S"));
        Assert.Equal("S", matcher.Flush());
    }

    [Fact]
    public void Stop_string_spanning_deltas_is_cut_with_the_text_before_it_emitted()
    {
        var matcher = new StopStringMatcher(["</end>"]);
        Assert.Equal(new OutputDelta("result: 4", false), matcher.Append("result: 4</"));
        Assert.Equal(new OutputDelta(string.Empty, false), matcher.Append("en"));
        Assert.Equal(new OutputDelta(string.Empty, true), matcher.Append("d> trailing"));
        Assert.True(matcher.Stopped);
        Assert.Equal("</end>", matcher.MatchedStopString);
    }

    [Fact]
    public void Earliest_of_several_stop_strings_wins()
    {
        var matcher = new StopStringMatcher(["world", "lo"]);
        Assert.Equal(new OutputDelta("hel", true), matcher.Append("hello world"));
        Assert.Equal("lo", matcher.MatchedStopString);
    }

    [Fact]
    public void Without_stop_strings_text_passes_straight_through()
    {
        var matcher = new StopStringMatcher([]);
        Assert.Equal(new OutputDelta("abc", false), matcher.Append("abc"));
        Assert.Equal(string.Empty, matcher.Flush());
    }

    [Fact]
    public void Empty_stop_string_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => new StopStringMatcher(["ok", ""]));
    }

    [Fact]
    public void Appending_after_a_stop_is_an_error()
    {
        var matcher = new StopStringMatcher(["x"]);
        matcher.Append("x");
        Assert.Throws<InvalidOperationException>(() => matcher.Append("more"));
    }
}
