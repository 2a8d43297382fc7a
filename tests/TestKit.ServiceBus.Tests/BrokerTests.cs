using Azure.Messaging.ServiceBus;

namespace LlmQueue.TestKit.ServiceBus.Tests;

/// <summary>Starting, configuring and addressing the broker.</summary>
public class BrokerTests
{
    [Fact]
    public async Task Two_brokers_run_side_by_side_and_the_sdk_honours_the_port_in_each_connection_string()
    {
        await using var one = BrokerHarness.Start();
        await using var two = BrokerHarness.Start();
        one.Broker.CreateQueue("q");
        two.Broker.CreateQueue("q");

        await one.SendAsync("q", new ServiceBusMessage("to one"));

        Assert.NotEqual(one.Broker.Port, two.Broker.Port);
        Assert.Equal(one.Broker.Port, ServiceBusConnectionStringProperties.Parse(one.Broker.ConnectionString).Endpoint.Port);
        Assert.Equal((1, 0), (one.Broker.GetCounts("q").Active, two.Broker.GetCounts("q").Active));
        Assert.Equal(1, one.Broker.ConnectionCount);
    }

    [Theory]
    [MemberData(nameof(BadBrokerOptions))]
    public void Bad_broker_options_fail_at_start(ServiceBusTestBrokerOptions options)
    {
        Assert.Throws<ArgumentException>(() => ServiceBusTestBroker.Start(options));
    }

    [Theory]
    [MemberData(nameof(BadEntityOptions))]
    public void Bad_entity_options_fail_at_creation(ServiceBusTestEntityOptions options)
    {
        using var broker = ServiceBusTestBroker.Start();

        var error = Assert.Throws<ArgumentException>(() => broker.CreateQueue("q", options));

        Assert.StartsWith("q:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspecting_a_missing_entity_names_it()
    {
        using var broker = ServiceBusTestBroker.Start();

        var error = Assert.Throws<ArgumentException>(() => broker.GetCounts("nothing"));

        Assert.Contains("'nothing'", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<ServiceBusTestBrokerOptions> BadBrokerOptions() =>
    [
        new ServiceBusTestBrokerOptions { MaxMessageSizeBytes = 10 },
        new ServiceBusTestBrokerOptions { SweepInterval = TimeSpan.Zero },
        new ServiceBusTestBrokerOptions { SweepInterval = TimeSpan.FromMinutes(1) },
        new ServiceBusTestBrokerOptions { SessionAcceptTimeout = TimeSpan.FromSeconds(-1) },
    ];

    public static TheoryData<ServiceBusTestEntityOptions> BadEntityOptions() =>
    [
        new ServiceBusTestEntityOptions { LockDuration = TimeSpan.Zero },
        new ServiceBusTestEntityOptions { LockDuration = TimeSpan.FromMinutes(6) },
        new ServiceBusTestEntityOptions { MaxDeliveryCount = 0 },
        new ServiceBusTestEntityOptions { DefaultMessageTimeToLive = TimeSpan.Zero },
    ];
}
