using LlmQueue.TestKit.Serving;

namespace LlmQueue.Integration.Tests.Conformance;

[Collection(RabbitMqGroup.Name)]
public sealed class RabbitMqConformanceTests(RabbitMqServer server) : TransportConformance(new RabbitMqTestBed(server));
