using Amqp;
using Amqp.Framing;
using Amqp.Listener;
using LlmQueue.TestKit.ServiceBus.Core;

namespace LlmQueue.TestKit.ServiceBus.Amqp;

/// <summary>A client's sending link to a queue or topic: each transfer is stored (or refused) and then settled.</summary>
internal sealed class SenderLinkEndpoint(BrokerEnvironment env, IEnqueueTarget target) : LinkEndpoint
{
    public override void OnMessage(MessageContext messageContext)
    {
        if (messageContext.Link.IsGone())
        {
            return;
        }

        Error? refusal;
        try
        {
            refusal = Store(messageContext.Message);
        }
#pragma warning disable CA1031 // A transfer the broker cannot read is rejected, never thrown into the listener.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            env.Log($"{target.Path}: unreadable message rejected: {exception.Message}");
            refusal = new Error(ErrorCode.DecodeError) { Description = exception.Message };
        }

        try
        {
            if (refusal is null)
            {
                messageContext.Complete();
            }
            else
            {
                messageContext.Complete(refusal);
            }
        }
#pragma warning disable CA1031 // The sender may have detached meanwhile.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            env.Log($"{target.Path}: could not settle a transfer: {exception.Message}");
        }
    }

    public override void OnFlow(FlowContext flowContext)
    {
        // Credit for the sender is restored by AMQPNetLite as transfers are settled.
    }

    public override void OnDisposition(DispositionContext dispositionContext)
    {
        // The broker settles incoming transfers itself.
    }

    private Error? Store(Message message)
    {
        var size = MessageCodec.Encode(message).Length;
        if (size > env.Options.MaxMessageSizeBytes)
        {
            return new Error(ErrorCode.MessageSizeExceeded)
            {
                Description = $"The message ({size} bytes) exceeds the maximum size of {env.Options.MaxMessageSizeBytes} bytes.",
            };
        }

        var incoming = MessageCodec.ReadIncoming(message);
        lock (env.Gate)
        {
            if (incoming.Select(target.Refusal).FirstOrDefault(r => r is not null) is { } reason)
            {
                return new Error(ErrorCode.NotAllowed) { Description = reason };
            }

            foreach (var each in incoming)
            {
                target.Enqueue(each);
            }
        }

        return null;
    }
}
