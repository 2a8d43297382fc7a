using LlmQueue.Contracts;
using LlmQueue.TestKit.Serving;
using RabbitMQ.Client;

namespace LlmQueue.Integration.Tests;

/// <summary>
/// Reply queues as RabbitMQ clients really declare them. The worker publishes to the default exchange (routing key =
/// queue) with confirms and mandatory routing, on a connection of its own: it never declares or alters a client's
/// queue, and a reply address the broker refuses is final for that request only.
/// </summary>
[Collection(RabbitMqGroup.Name)]
public sealed class RabbitMqReplyAddressTests(RabbitMqServer broker)
{
    private RabbitMqTestBed Bed { get; } = new(broker);

    [Fact]
    public async Task Reserved_reply_address_dead_letters_that_request_and_the_next_one_is_served_at_once()
    {
        var queue = NewQueue();
        var engine = new ScriptedEngine { AutoDeltas = ["ok"] };
        await using var worker = await WorkerInstance.StartAsync(Bed, queue, engine);
        await using var producer = await Bed.ConnectProducerAsync();

        await producer.PublishAsync(queue, """{"requestId":"reserved","prompt":"p","replyTo":"amq.reserved","stream":true}""");
        await producer.PublishAsync(queue, $$$"""{"requestId":"next","prompt":"p","replyTo":"{{{producer.ReplyQueue}}}"}""");

        var reply = await producer.NextAsync();
        Assert.Equal((nameof(GenerateCompleted), "next"), (reply.Type, reply.Text("requestId")));
        Assert.Equal("reply_undeliverable", Assert.Single(await Bed.TakeDeadLettersAsync(queue, 1, TimeSpan.FromSeconds(30))).Reason);
        Assert.Equal(0u, await broker.ReadyMessagesAsync(queue));
    }

    [Theory]
    [InlineData(ReplyQueueKind.NonDurable)]
    [InlineData(ReplyQueueKind.Durable)]
    [InlineData(ReplyQueueKind.ServerNamedExclusive)]
    public async Task Replies_reach_a_client_queue_as_the_client_declared_it(ReplyQueueKind kind)
    {
        var queue = NewQueue();
        await using var worker = await WorkerInstance.StartAsync(Bed, queue, new ScriptedEngine { AutoDeltas = ["a", "b"] });
        await using var producer = await Bed.ConnectProducerAsync(kind);

        await producer.PublishAsync(queue, $$$"""{"requestId":"r-{{{kind}}}","prompt":"p","replyTo":"{{{producer.ReplyQueue}}}","stream":true}""");

        Assert.Equal(nameof(TokenChunk), (await producer.NextAsync()).Type);
        Assert.Equal(nameof(TokenChunk), (await producer.NextAsync()).Type);
        Assert.Equal(nameof(GenerateCompleted), (await producer.NextAsync()).Type);
        // The queue still has the client's own properties: declaring it again as the client did succeeds (a
        // server-named queue cannot be declared by name; it is checked to still exist).
        if (kind == ReplyQueueKind.ServerNamedExclusive)
        {
            await producer.Channel.QueueDeclarePassiveAsync(producer.ReplyQueue);
        }
        else
        {
            await producer.Channel.QueueDeclareAsync(producer.ReplyQueue, durable: kind == ReplyQueueKind.Durable, exclusive: false, autoDelete: false);
        }
    }

    [Fact]
    public async Task The_rpc_pattern_with_only_the_amqp_reply_to_property_works()
    {
        var queue = NewQueue();
        await using var worker = await WorkerInstance.StartAsync(Bed, queue, new ScriptedEngine { AutoDeltas = ["ok"] });
        await using var producer = await Bed.ConnectProducerAsync(ReplyQueueKind.ServerNamedExclusive);
        Assert.StartsWith("amq.gen-", producer.ReplyQueue, StringComparison.Ordinal);

        await producer.PublishAsync(queue, """{"requestId":"rpc","prompt":"p"}""", transportReplyTo: producer.ReplyQueue);

        var reply = await producer.NextAsync();
        Assert.Equal((nameof(GenerateCompleted), "rpc"), (reply.Type, reply.Text("requestId")));
    }

    [Fact]
    public async Task Replies_reach_a_reply_queue_that_was_deleted_and_declared_again()
    {
        var queue = NewQueue();
        await using var worker = await WorkerInstance.StartAsync(Bed, queue, new ScriptedEngine { AutoDeltas = ["ok"] });
        await using var producer = await Bed.ConnectProducerAsync(ReplyQueueKind.Durable);
        var request = (string id) => $$$"""{"requestId":"{{{id}}}","prompt":"p","replyTo":"{{{producer.ReplyQueue}}}"}""";

        await producer.PublishAsync(queue, request("before"));
        Assert.Equal("before", (await producer.NextAsync()).Text("requestId"));

        await producer.Channel.QueueDeleteAsync(producer.ReplyQueue);
        await producer.Channel.QueueDeclareAsync(producer.ReplyQueue, durable: true, exclusive: false, autoDelete: false);
        await producer.ResubscribeAsync();
        await producer.PublishAsync(queue, request("after"));

        var reply = await producer.NextAsync();
        Assert.Equal((nameof(GenerateCompleted), "after"), (reply.Type, reply.Text("requestId")));
    }

    private static string NewQueue() => $"llmq-reply-{Guid.NewGuid():N}";
}
