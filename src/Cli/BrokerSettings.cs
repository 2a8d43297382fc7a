using LlmQueue.Transport.RabbitMq;

using LlmQueue.Client;

namespace LlmQueue.Cli;

/// <summary>Broker options common to both commands; RabbitMq null means the embedded in-memory worker.</summary>
internal sealed record BrokerSettings(RabbitMqOptions? RabbitMq, string Queue);
