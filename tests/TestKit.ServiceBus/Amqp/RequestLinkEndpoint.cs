using Amqp;
using Amqp.Framing;
using Amqp.Listener;
using LlmQueue.TestKit.ServiceBus.Core;

namespace LlmQueue.TestKit.ServiceBus.Amqp;

/// <summary>The client's request link of a request-response pair: each request is answered on the link named by reply-to.</summary>
internal sealed class RequestLinkEndpoint(BrokerEnvironment env, IRequestHandler handler, ReplyRouter replies, string node) : LinkEndpoint
{
    public override void OnMessage(MessageContext messageContext)
    {
        if (messageContext.Link.IsGone())
        {
            return;
        }

        try
        {
            var request = messageContext.Message;
            var replyLink = replies.Find(request.Properties?.ReplyTo);
            if (replyLink is null)
            {
                env.Log($"{node}: request without an attached reply-to link ({request.Properties?.ReplyTo ?? "none"}) rejected.");
                messageContext.Complete(new Error(ErrorCode.NotFound) { Description = "No response link is attached at the request's reply-to address." });
                return;
            }

            Message response;
            lock (env.Gate)
            {
                response = handler.Handle(request);
            }

            response.Properties ??= new Properties();
            response.Properties.CorrelationId = request.Properties?.MessageId;
            replyLink.Send(response);
            messageContext.Complete();
        }
#pragma warning disable CA1031 // Nothing may escape into the listener; the request is rejected instead.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            env.Log($"{node}: request failed: {exception.Message}");
            TryReject(messageContext, exception.Message);
        }
    }

    public override void OnFlow(FlowContext flowContext)
    {
        // The client sends requests; its flow frames carry nothing to act on.
    }

    public override void OnDisposition(DispositionContext dispositionContext)
    {
        // Requests arrive settled.
    }

    private void TryReject(MessageContext messageContext, string description)
    {
        try
        {
            messageContext.Complete(new Error(ErrorCode.InternalError) { Description = description });
        }
#pragma warning disable CA1031 // The link may be gone already.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            env.Log($"{node}: could not reject a failed request: {exception.Message}");
        }
    }
}
