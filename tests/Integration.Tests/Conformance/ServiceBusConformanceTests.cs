using LlmQueue.TestKit.Serving;

namespace LlmQueue.Integration.Tests.Conformance;

/// <summary>The suite through the real Azure.Messaging.ServiceBus SDK against the in-process test broker (one per test).</summary>
public sealed class ServiceBusConformanceTests(SharedRedis redis) : TransportConformance(new ServiceBusTestBed(redis.ConnectionString)),
    IClassFixture<SharedRedis>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await ((ServiceBusTestBed)Bed).DisposeAsync();
}
