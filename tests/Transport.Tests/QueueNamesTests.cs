namespace LlmQueue.Transport.Tests;

public sealed class QueueNamesTests
{
    [Theory]
    [InlineData("replies")]
    [InlineData("amq.gen-JzTY20BRgKO-HjmUJj0wLg")]
    [InlineData("my_service.replies:1")]
    public void Ordinary_and_server_named_queues_pass(string name)
    {
        Assert.Null(QueueNames.Check(name, 255));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("has space", "U+0020")]
    [InlineData("a/b", "'/'")]
    [InlineData("café", "'é'")]
    [InlineData("tab\there", "U+0009")]
    public void Names_with_odd_characters_are_refused_naming_the_character(string name, string mentioned)
    {
        Assert.Contains(mentioned, QueueNames.Check(name, 255), StringComparison.Ordinal);
    }

    [Fact]
    public void Length_and_extra_separators_follow_the_broker()
    {
        Assert.Contains("256 characters", QueueNames.Check(new string('q', 256), 255), StringComparison.Ordinal);
        Assert.Null(QueueNames.Check("topic/sub", 260, extraAllowed: "/"));
    }
}
