using Azure.Messaging.ServiceBus;

namespace LlmQueue.TestKit.ServiceBus.Tests;

public class SmokeTests
{
    [Fact]
    public async Task Send_receive_complete()
    {
        var log = new List<string>();
        await using var broker = ServiceBusTestBroker.Start(new ServiceBusTestBrokerOptions { Log = l => { lock (log) { log.Add(l); } } });
        broker.CreateQueue("q");
        await using var client = new ServiceBusClient(broker.ConnectionString);
        await using var sender = client.CreateSender("q");
        await sender.SendMessageAsync(new ServiceBusMessage("hello") { MessageId = "m1" });
        await using var receiver = client.CreateReceiver("q");
        var message = await receiver.ReceiveMessageAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(message);
        Assert.Equal("hello", message.Body.ToString());
        await receiver.CompleteMessageAsync(message);
        Assert.Equal(0, broker.GetCounts("q").Active + broker.GetCounts("q").Locked);
        Assert.Empty(log);
    }
}
