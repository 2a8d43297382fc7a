using LlmQueue.Serving.Replies;
using LlmQueue.Serving.Requests;
using LlmQueue.Transport;

namespace LlmQueue.Serving.Tests.Replies;

public sealed class ReplyRoutingTests
{
    private static readonly IReplyPublisher s_publisher = new NamesOnly();

    [Fact]
    public void The_body_reply_to_wins_and_carries_the_transport_session()
    {
        var route = Resolve(new DecodedRequest { BodyReplyTo = "body-q", ResponseAddress = "rabbitmq://h/envelope-q" }, transportReplyTo: "amqp-q", session: "s1");

        Assert.Equal((new ReplyAddress("body-q", "s1"), null), (route.Address, route.Problem));
    }

    [Fact]
    public void An_unusable_body_reply_to_falls_back_to_the_transport_address_for_the_failure()
    {
        var route = Resolve(new DecodedRequest { BodyReplyTo = "has space" }, transportReplyTo: "amqp-q");

        Assert.Equal(new ReplyAddress("amqp-q"), route.Address);
        Assert.Contains("replyTo", route.Problem, StringComparison.Ordinal);
        Assert.Contains("U+0020", route.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_envelope_response_address_comes_before_the_transport_reply_to()
    {
        var route = Resolve(new DecodedRequest { ResponseAddress = "rabbitmq://host:5672/vhost/envelope-q?temporary=true" }, transportReplyTo: "amqp-q");

        Assert.Equal(new ReplyAddress("envelope-q"), route.Address);
    }

    [Fact]
    public void With_no_address_anywhere_there_is_no_route()
    {
        Assert.Equal(new ReplyRoute(null, null), Resolve(new DecodedRequest(), transportReplyTo: null));
    }

    [Theory]
    [InlineData("queue:replies", "replies")]
    [InlineData("queue:replies?durable=false", "replies")]
    [InlineData("rabbitmq://localhost/replies", "replies")]
    [InlineData("rabbitmq://localhost:5672/my-vhost/replies?temporary=true", "replies")]
    [InlineData("loopback://localhost/replies", "replies")]
    [InlineData("sb://ns.servicebus.windows.net/replies", "replies")]
    [InlineData("not an address", null)]
    [InlineData("", null)]
    public void Queue_names_are_read_from_masstransit_addresses(string address, string? queue)
    {
        Assert.Equal(queue, ReplyRouting.QueueOf(address));
    }

    private static ReplyRoute Resolve(DecodedRequest decoded, string? transportReplyTo, string? session = null) =>
        ReplyRouting.Resolve(new InboundMessage { Body = Array.Empty<byte>(), ReplyTo = transportReplyTo, ReplyToSessionId = session }, decoded, s_publisher);

    private sealed class NamesOnly : IReplyPublisher
    {
        public Task PublishAsync(ReplyAddress address, OutboundMessage message, CancellationToken cancellationToken) => throw new NotSupportedException();

        public string? ValidateQueueName(string queue) => QueueNames.Check(queue, 255);
    }
}
