using LlmQueue.TestKit.Serving;

namespace LlmQueue.Integration.Tests.Conformance;

/// <summary>The embedded default passes the same suite as the brokers.</summary>
public sealed class InMemoryConformanceTests() : TransportConformance(new InMemoryTestBed());
