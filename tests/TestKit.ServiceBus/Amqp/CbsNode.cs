using Amqp;
using Amqp.Framing;

namespace LlmQueue.TestKit.ServiceBus.Amqp;

/// <summary>The $cbs node: every put-token is accepted (202); the test broker checks no claims.</summary>
internal sealed class CbsNode : IRequestHandler
{
    private const string PutToken = "put-token";

    public Message Handle(Message request)
    {
        var operation = request.ApplicationProperties?.Map.TryGetValue("operation", out var value) == true ? value as string : null;
        return operation == PutToken
            ? Response(202, "Accepted")
            : Response(400, $"Unsupported $cbs operation '{operation ?? "none"}'.");
    }

    private static Message Response(int status, string description)
    {
        var response = new Message { ApplicationProperties = new ApplicationProperties() };
        // CBS uses hyphenated names (management responses use statusCode); the status must be an AMQP int.
        response.ApplicationProperties.Map["status-code"] = status;
        response.ApplicationProperties.Map["status-description"] = description;
        return response;
    }
}
