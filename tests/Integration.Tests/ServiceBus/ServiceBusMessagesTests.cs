using System.Text;
using Azure.Core.Amqp;
using Azure.Messaging.ServiceBus;
using LlmQueue.Transport;
using LlmQueue.Transport.ServiceBus;

namespace LlmQueue.Integration.Tests.ServiceBus;

/// <summary>The mapping between Service Bus messages and the seam's, on messages built by ServiceBusModelFactory.</summary>
public sealed class ServiceBusMessagesTests
{
    [Fact]
    public void A_received_message_maps_its_delivery_count_to_the_attempt_and_keeps_the_string_properties_as_headers()
    {
        var received = ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: BinaryData.FromString("""{"requestId":"r"}"""),
            messageId: "m-1",
            contentType: "application/json",
            replyTo: "llmq-replies",
            replyToSessionId: "client-7",
            deliveryCount: 3,
            properties: new Dictionary<string, object> { [MessageHeaders.MessageType] = "GenerateRequest", ["priority"] = 5 });
        using var lost = new CancellationTokenSource();

        var inbound = ServiceBusMessages.ToInbound(received, lost.Token);

        Assert.Equal(
            ("""{"requestId":"r"}""", "m-1", "application/json", "llmq-replies", "client-7", 3),
            (Encoding.UTF8.GetString(inbound.Body.Span), inbound.MessageId, inbound.ContentType, inbound.ReplyTo, inbound.ReplyToSessionId, inbound.DeliveryCount));
        // The type travels as an application property; a non-string property is not the contract's.
        Assert.Equal(new Dictionary<string, string> { [MessageHeaders.MessageType] = "GenerateRequest" }, inbound.Headers);
        Assert.False(inbound.Lost.IsCancellationRequested);
        lost.Cancel();
        Assert.True(inbound.Lost.IsCancellationRequested);
    }

    [Fact]
    public void A_first_delivery_is_attempt_1_even_from_a_broker_that_reports_0()
    {
        var received = ServiceBusModelFactory.ServiceBusReceivedMessage(body: BinaryData.FromString("{}"), deliveryCount: 0);

        Assert.Equal(1, ServiceBusMessages.ToInbound(received, CancellationToken.None).DeliveryCount);
    }

    [Fact]
    public void A_json_body_sent_as_an_amqp_string_value_is_read_as_its_utf8_bytes()
    {
        var amqp = new AmqpAnnotatedMessage(AmqpMessageBody.FromValue("""{"requestId":"é"}"""));
        amqp.Header.DeliveryCount = 0;
        var received = ServiceBusReceivedMessage.FromAmqpMessage(amqp, BinaryData.FromBytes(Guid.NewGuid().ToByteArray()));

        var inbound = ServiceBusMessages.ToInbound(received, CancellationToken.None);

        Assert.Equal("""{"requestId":"é"}""", Encoding.UTF8.GetString(inbound.Body.Span));
    }

    [Fact]
    public void A_reply_carries_its_session_type_and_ids()
    {
        var reply = new OutboundMessage
        {
            Body = Encoding.UTF8.GetBytes("""{"requestId":"r","seq":0}"""),
            ContentType = "application/json",
            MessageType = "TokenChunk",
            CorrelationId = "r",
            MessageId = "r:0",
            Headers = new Dictionary<string, string> { ["x-extra"] = "1" },
        };

        var message = ServiceBusMessages.ToServiceBus(reply, sessionId: "client-7");

        Assert.Equal(
            ("client-7", "TokenChunk", "r", "r:0", "application/json", """{"requestId":"r","seq":0}"""),
            (message.SessionId, message.Subject, message.CorrelationId, message.MessageId, message.ContentType, message.Body.ToString()));
        Assert.Equal("TokenChunk", message.ApplicationProperties[MessageHeaders.MessageType]);
        Assert.Equal("1", message.ApplicationProperties["x-extra"]);
    }

    [Fact]
    public void A_message_id_longer_than_service_bus_allows_is_left_to_the_sdk()
    {
        var reply = new OutboundMessage
        {
            Body = "{}"u8.ToArray(),
            ContentType = "application/json",
            MessageType = "GenerateCompleted",
            MessageId = new string('x', 129),
        };

        var message = ServiceBusMessages.ToServiceBus(reply);

        Assert.Null(message.SessionId);
        Assert.NotEqual(reply.MessageId, message.MessageId);
    }
}
