using LlmQueue.TestKit.Serving;

namespace LlmQueue.Integration.Tests;

/// <summary>All broker tests share one RabbitMQ and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class RabbitMqGroup : ICollectionFixture<RabbitMqServer>
{
    public const string Name = "rabbitmq";
}
