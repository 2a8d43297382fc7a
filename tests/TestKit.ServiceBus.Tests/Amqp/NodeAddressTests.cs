using LlmQueue.TestKit.ServiceBus.Amqp;

namespace LlmQueue.TestKit.ServiceBus.Tests.Amqp;

public class NodeAddressTests
{
    [Theory]
    [InlineData("/requests", "Entity", "requests")]
    [InlineData("requests", "Entity", "requests")]
    [InlineData("amqp://127.0.0.1:5672/requests", "Entity", "requests")]
    [InlineData("sb://ns.servicebus.windows.net/t/Subscriptions/s", "Entity", "t/Subscriptions/s")]
    [InlineData("q/$DeadLetterQueue", "Entity", "q/$DeadLetterQueue")]
    [InlineData("q/$management", "Management", "q")]
    [InlineData("t/Subscriptions/s/$DeadLetterQueue/$Management", "Management", "t/Subscriptions/s/$DeadLetterQueue")]
    [InlineData("$cbs", "Cbs", "")]
    public void Parses_the_addresses_the_sdk_uses(string address, string kind, string entityPath)
    {
        Assert.Equal(new NodeAddress(Enum.Parse<NodeKind>(kind), entityPath), NodeAddress.Parse(address));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("$management")]
    [InlineData("$weird")]
    public void Rejects_what_names_no_entity(string? address)
    {
        Assert.Null(NodeAddress.Parse(address));
    }
}
