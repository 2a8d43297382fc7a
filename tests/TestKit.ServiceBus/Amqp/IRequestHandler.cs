using Amqp;

namespace LlmQueue.TestKit.ServiceBus.Amqp;

/// <summary>Answers one request of a request-response node ($cbs, $management). Runs under the broker gate.</summary>
internal interface IRequestHandler
{
    /// <summary>The response; never throws (bad requests get an error status).</summary>
    Message Handle(Message request);
}
