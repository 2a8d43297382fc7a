using LlmQueue.TestKit.ServiceBus.Core;

namespace LlmQueue.TestKit.ServiceBus.Tests.Core;

public class EntityRegistryTests
{
    private readonly EntityRegistry _registry = new(new BrokerEnvironment(new ServiceBusTestBrokerOptions()));

    public EntityRegistryTests()
    {
        _registry.AddQueue("Requests", new ServiceBusTestEntityOptions());
        _registry.AddTopic("cancel");
        _registry.AddSubscription("cancel", "replica-a", new ServiceBusTestEntityOptions());
    }

    [Theory]
    [InlineData("requests", "Requests")]
    [InlineData("REQUESTS/$deadletterqueue", "Requests/$DeadLetterQueue")]
    [InlineData("cancel/subscriptions/Replica-A", "cancel/Subscriptions/replica-a")]
    [InlineData("cancel/Subscriptions/replica-a/$DeadLetterQueue", "cancel/Subscriptions/replica-a/$DeadLetterQueue")]
    public void Finds_stores_case_insensitively(string path, string storePath)
    {
        Assert.Equal(storePath, _registry.FindStore(path)?.Path);
    }

    [Theory]
    [InlineData("cancel")]
    [InlineData("missing")]
    [InlineData("cancel/Subscriptions/missing")]
    [InlineData("cancel/Rules/replica-a")]
    [InlineData("Requests/$DeadLetterQueue/$DeadLetterQueue")]
    public void Has_no_store_for_topics_or_unknown_paths(string path)
    {
        Assert.Null(_registry.FindStore(path));
    }

    [Fact]
    public void Senders_reach_queues_and_topics_only()
    {
        Assert.Equal("Requests", _registry.FindSendTarget("requests")?.Path);
        Assert.Equal("cancel", _registry.FindSendTarget("cancel")?.Path);
        Assert.Null(_registry.FindSendTarget("cancel/Subscriptions/replica-a"));
    }

    [Theory]
    [InlineData("requests")]
    [InlineData("cancel")]
    [InlineData("bad name")]
    [InlineData("$cbs")]
    [InlineData("")]
    public void Refuses_duplicate_or_invalid_names(string name)
    {
        Assert.Throws<ArgumentException>(() => _registry.AddQueue(name, new ServiceBusTestEntityOptions()));
    }
}
