using Amqp;
using Amqp.Framing;
using Amqp.Listener;
using Amqp.Types;
using LlmQueue.TestKit.ServiceBus.Core;

namespace LlmQueue.TestKit.ServiceBus.Amqp;

/// <summary>
/// Routes every attach: $cbs and &lt;entity&gt;/$management request-response pairs, senders to queues and topics,
/// receivers (plain or session) on queues, subscriptions and dead-letter sub-queues. Unknown nodes get amqp:not-found.
/// </summary>
internal sealed class BrokerLinkProcessor(BrokerEnvironment env, EntityRegistry registry, ReplyRouter replies, SessionWindowGuard windows) : ILinkProcessor
{
    private const int RequestCredit = 50;
    private const int SenderCredit = 100;

    public void Process(AttachContext attachContext)
    {
        try
        {
            lock (env.Gate)
            {
                attachContext.Attach.MaxMessageSize = (ulong)env.Options.MaxMessageSizeBytes;
                Route(attachContext);
            }
        }
#pragma warning disable CA1031 // An attach the broker cannot handle is refused, never thrown into the listener.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            env.Log($"attach '{attachContext.Attach.LinkName}' failed: {exception.Message}");
            Refuse(attachContext, ErrorCode.InternalError, exception.Message);
        }
    }

    private void Route(AttachContext attachContext)
    {
        var attach = attachContext.Attach;
        var peerSends = !attach.Role;
        if (peerSends && attach.Target is not Target)
        {
            Refuse(attachContext, ErrorCode.NotImplemented, "Transactions are not supported by the test broker.");
            return;
        }

        var address = peerSends ? ((Target)attach.Target).Address : (attach.Source as Source)?.Address;
        switch (NodeAddress.Parse(address))
        {
            case null:
                Refuse(attachContext, ErrorCode.InvalidField, $"'{address}' is not a Service Bus node address.");
                break;
            case { Kind: NodeKind.Cbs }:
                AttachRequestResponse(attachContext, peerSends, ServiceBusNames.CbsNode, new CbsNode());
                break;
            case { Kind: NodeKind.Management, EntityPath: var path }:
                AttachManagement(attachContext, peerSends, path);
                break;
            case { EntityPath: var path } when peerSends:
                AttachSender(attachContext, path);
                break;
            case { EntityPath: var path }:
                AttachReceiver(attachContext, path);
                break;
        }
    }

    private void AttachManagement(AttachContext attachContext, bool peerSends, string path)
    {
        var sendTarget = registry.FindSendTarget(path);
        var store = registry.FindStore(path);
        if (sendTarget is null && store is null)
        {
            Refuse(attachContext, ErrorCode.NotFound, $"The messaging entity '{path}' could not be found.");
            return;
        }

        AttachRequestResponse(attachContext, peerSends, $"{path}/{ServiceBusNames.ManagementNode}",
            new ManagementNode(env, sendTarget, store, path));
    }

    private void AttachRequestResponse(AttachContext attachContext, bool peerSends, string node, IRequestHandler handler)
    {
        if (peerSends)
        {
            attachContext.Complete(new RequestLinkEndpoint(env, handler, replies, node), RequestCredit);
            return;
        }

        if ((attachContext.Attach.Target as Target)?.Address is not { Length: > 0 } replyAddress)
        {
            Refuse(attachContext, ErrorCode.InvalidField, $"A response link of {node} needs a target address for reply-to.");
            return;
        }

        var endpoint = new ReplyLinkEndpoint(attachContext.Link, windows);
        replies.Register(replyAddress, endpoint);
        attachContext.Link.AddClosedCallback((_, _) => replies.Unregister(replyAddress, endpoint));
        attachContext.Complete(endpoint, 0);
    }

    private void AttachSender(AttachContext attachContext, string path)
    {
        if (registry.FindSendTarget(path) is not { } target)
        {
            Refuse(attachContext, ErrorCode.NotFound, $"The messaging entity '{path}' could not be found or cannot be sent to.");
            return;
        }

        attachContext.Complete(new SenderLinkEndpoint(env, target), SenderCredit);
    }

    private void AttachReceiver(AttachContext attachContext, string path)
    {
        if (registry.FindStore(path) is not { } store)
        {
            Refuse(attachContext, ErrorCode.NotFound, $"The messaging entity '{path}' could not be found or cannot be received from.");
            return;
        }

        var filters = (attachContext.Attach.Source as Source)?.FilterSet;
        var sessionFilter = filters is not null && filters.ContainsKey(ServiceBusNames.SessionFilter);
        if (sessionFilter != store.Options.RequiresSession)
        {
            Refuse(attachContext, ErrorCode.NotAllowed, sessionFilter
                ? $"'{path}' is not session-enabled: use a plain receiver."
                : $"'{path}' requires sessions: use a session receiver.");
            return;
        }

        var receiver = new ReceiverLinkEndpoint(env, store, attachContext, windows);
        if (!sessionFilter)
        {
            receiver.AttachPlain();
            return;
        }

        receiver.AttachSession(filters![ServiceBusNames.SessionFilter] as string, env.UtcNow + AcceptTimeout(attachContext.Attach));
    }

    /// <summary>The client's com.microsoft:timeout (milliseconds) for an accept-next-session, else the broker default.</summary>
    private TimeSpan AcceptTimeout(Attach attach) =>
        attach.Properties is { } properties && properties.TryGetValue(ServiceBusNames.Timeout, out var timeout) && timeout is uint milliseconds
            ? TimeSpan.FromMilliseconds(milliseconds)
            : env.Options.SessionAcceptTimeout;

    private void Refuse(AttachContext attachContext, string condition, string description)
    {
        env.Log($"attach '{attachContext.Attach.LinkName}' refused: {condition} {description}");
        try
        {
            attachContext.Complete(new Error(new Symbol(condition)) { Description = description });
        }
#pragma warning disable CA1031 // The link may be gone already.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            env.Log($"attach '{attachContext.Attach.LinkName}': refusal failed: {exception.Message}");
        }
    }
}
