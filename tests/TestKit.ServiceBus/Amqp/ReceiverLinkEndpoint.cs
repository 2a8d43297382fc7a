using Amqp;
using Amqp.Framing;
using Amqp.Listener;
using Amqp.Types;
using LlmQueue.TestKit.ServiceBus.Core;

namespace LlmQueue.TestKit.ServiceBus.Amqp;

/// <summary>
/// A client's receiving link on a queue, subscription or dead-letter sub-queue: turns link credit into deliveries
/// and dispositions into settlements. For a session receiver it also holds the attach until a session is locked.
/// </summary>
internal sealed class ReceiverLinkEndpoint : LinkEndpoint, IDeliveryTarget
{
    private readonly BrokerEnvironment _env;
    private readonly MessageStore _store;
    private readonly ListenerLink _link;
    private readonly SessionWindowGuard _windows;
    private AttachContext? _pendingAttach;
    // ListenerLink keeps its credit in an internal property; flows report only a delta from its limit (see OnFlow).
    private static readonly System.Reflection.PropertyInfo s_linkCredit =
        typeof(ListenerLink).GetProperty("Credit", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)
        ?? throw new InvalidOperationException("AMQPNetLite's ListenerLink has no internal Credit property any more.");

    private int _credit;
    // Deliveries sent on this link (the AMQP delivery-count, from 0), and ListenerLink's limit (its delivery-count plus
    // its credit) in the same count: the flow deltas ListenerLink reports are relative to that limit.
    private long _sent;
    private long _linkLimit;
    private bool _closed;

    public ReceiverLinkEndpoint(BrokerEnvironment env, MessageStore store, AttachContext attachContext, SessionWindowGuard windows)
    {
        _env = env;
        _store = store;
        _windows = windows;
        _link = attachContext.Link;
        _pendingAttach = attachContext;
        _link.AddClosedCallback((_, _) => OnClosed());
    }

    public int Credit => _closed ? 0 : _credit;

    public bool PreSettled => _link.SettleOnSend;

    public string? SessionId { get; private set; }

    /// <summary>Completes the attach of a plain (sessionless) receiver.</summary>
    public void AttachPlain()
    {
        if (TakeAttach() is { } attachContext && TryComplete(attachContext))
        {
            _store.AddReceiver(this);
        }
    }

    /// <summary>Asks the store for a session; the attach completes when one is locked or refused.</summary>
    public void AttachSession(string? sessionId, DateTime deadline) => _store.RequestSession(this, sessionId, deadline);

    public void OnSessionLocked(string sessionId, DateTime lockedUntil)
    {
        SessionId = sessionId;
        if (TakeAttach() is not { } attachContext)
        {
            return;
        }

        // The SDK reads the locked session from the echoed filter and its lock expiry from the attach properties.
        var source = (Source)attachContext.Attach.Source;
        source.FilterSet ??= [];
        source.FilterSet[ServiceBusNames.SessionFilter] = sessionId;
        attachContext.Attach.Properties ??= [];
        attachContext.Attach.Properties[ServiceBusNames.LockedUntilUtc] = lockedUntil.Ticks;
        if (!TryComplete(attachContext))
        {
            _closed = true;
            _store.RemoveReceiver(this);
        }
    }

    public void OnSessionRefused(string condition, string description)
    {
        _closed = true;
        if (TakeAttach() is { } attachContext)
        {
            Refuse(attachContext, condition, description);
        }
    }

    public void OnSessionLockLost()
    {
        _closed = true;
        try
        {
            _link.Close(TimeSpan.Zero, new Error(new Symbol(ErrorConditions.SessionLockLost)) { Description = "The session lock has expired." });
        }
#pragma warning disable CA1031 // The link may be closing already.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            _env.Log($"{_store.Path}: closing a receiver after its session lock expired failed: {exception.Message}");
        }
    }

    public bool Send(StoredMessage message, string entityPath)
    {
        if (_closed || _credit <= 0 || _link.IsGone())
        {
            return false;
        }

        try
        {
            _link.SendMessage(MessageCodec.BuildDelivery(message, locked: !PreSettled));
            _credit--;
            _sent++;
            _windows.AfterSend(_link);
            return true;
        }
#pragma warning disable CA1031 // A link torn down mid-send just stops receiving; the message stays in the entity.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            _env.Log($"{entityPath}: delivery to a closing receiver failed: {exception.Message}");
            _closed = true;
            return false;
        }
    }

    public override void OnFlow(FlowContext flowContext)
    {
        lock (_env.Gate)
        {
            if (_closed || _link.IsGone())
            {
                return;
            }

            // AMQP: the receiver's flow sets the credit to its limit (delivery-count + link-credit) less the deliveries
            // sent. ListenerLink reports that limit as a delta from its own limit, then zeroes its credit when the delta
            // is not positive; the credit is the peer's, though: a receiver that lowers its credit from 3 to 2 (the SDK
            // does when one of several waiting receives ends) still has 2. Sends do not move ListenerLink's limit, so
            // the peer's is exact here; ListenerLink's new limit is read back under the gate, because a send may have
            // run between its flow handling and this one (counting from a stale limit over-credited the receiver).
            var peerLimit = _linkLimit + flowContext.Messages;
            _credit = (int)Math.Clamp(peerLimit - _sent, 0, int.MaxValue);
            _linkLimit = LinkLimit();
            try
            {
                _store.Pump();
                if (_link.IsDraining)
                {
                    _link.CompleteDrain();
                    _credit = 0;
                    _linkLimit = LinkLimit();
                }
            }
#pragma warning disable CA1031 // Never throw into the listener.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                _env.Log($"{_store.Path}: flow handling failed: {exception.Message}");
            }
        }
    }

    /// <summary>ListenerLink's limit in this link's count: its credit (a uint that sends below zero wrap) past the deliveries sent.</summary>
    private long LinkLimit() => _sent + unchecked((int)(uint)s_linkCredit.GetValue(_link)!);

    public override void OnDisposition(DispositionContext dispositionContext)
    {
        lock (_env.Gate)
        {
            // After close, AMQPNetLite reports unsettled deliveries as released: their locks simply run on.
            if (_closed || PreSettled || _link.IsGone() || dispositionContext.Message is not LockedDelivery delivery)
            {
                return;
            }

            try
            {
                var result = ToSettlement(dispositionContext.DeliveryState) is { } settlement
                    ? _store.Settle(delivery.LockToken, settlement)
                    : SettleResult.Settled;
                _link.DisposeMessage(dispositionContext.Message, Outcome(result), true);
            }
#pragma warning disable CA1031 // Never throw into the listener.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                _env.Log($"{_store.Path}: settlement failed: {exception.Message}");
            }
        }
    }

    /// <summary>The settlement a client's delivery state asks for (Service Bus SDK conventions); null if it asks for none.</summary>
    internal static Settlement? ToSettlement(DeliveryState? state) => state switch
    {
        Accepted => new Settlement(SettlementKind.Complete),
        Rejected rejected => new Settlement(
            SettlementKind.DeadLetter,
            InfoText(rejected.Error?.Info, ServiceBusTestBroker.DeadLetterReasonProperty),
            InfoText(rejected.Error?.Info, ServiceBusTestBroker.DeadLetterErrorDescriptionProperty),
            OtherProperties(rejected.Error?.Info)),
        Modified modified => new Settlement(
            modified.UndeliverableHere ? SettlementKind.Defer : SettlementKind.Abandon,
            PropertiesToModify: OtherProperties(modified.MessageAnnotations)),
        Released => new Settlement(SettlementKind.Release),
        _ => null,
    };

    private static Outcome Outcome(SettleResult result) => result switch
    {
        // Success is answered with accepted: the SDK treats an echoed rejected-with-error as a failure.
        SettleResult.Settled => new Accepted(),
        SettleResult.SessionLockLost => new Rejected
        {
            Error = new Error(new Symbol(ErrorConditions.SessionLockLost)) { Description = "The session lock has expired or was released." },
        },
        _ => new Rejected
        {
            Error = new Error(new Symbol(ErrorConditions.MessageLockLost))
            {
                Description = "The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.",
            },
        },
    };

    private static string? InfoText(Fields? info, string key) =>
        info is not null && info.TryGetValue(new Symbol(key), out var value) ? value as string : null;

    private static Dictionary<string, object?>? OtherProperties(Fields? fields)
    {
        if (fields is null || fields.Count == 0)
        {
            return null;
        }

        var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in fields)
        {
            var name = key.ToString() ?? string.Empty;
            if (name is not ServiceBusTestBroker.DeadLetterReasonProperty and not ServiceBusTestBroker.DeadLetterErrorDescriptionProperty)
            {
                properties[name] = value;
            }
        }

        return properties.Count == 0 ? null : properties;
    }

    private AttachContext? TakeAttach()
    {
        var attachContext = _pendingAttach;
        _pendingAttach = null;
        return attachContext;
    }

    private bool TryComplete(AttachContext attachContext)
    {
        try
        {
            attachContext.Attach.MaxMessageSize = (ulong)_env.Options.MaxMessageSizeBytes;
            attachContext.Complete(this, 0);
            return true;
        }
#pragma warning disable CA1031 // The client may have given up on the attach.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            _env.Log($"{_store.Path}: completing a receiver attach failed: {exception.Message}");
            return false;
        }
    }

    private void Refuse(AttachContext attachContext, string condition, string description)
    {
        try
        {
            attachContext.Complete(new Error(new Symbol(condition)) { Description = description });
        }
#pragma warning disable CA1031 // The client may have given up on the attach.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            _env.Log($"{_store.Path}: refusing a receiver attach failed: {exception.Message}");
        }
    }

    private void OnClosed()
    {
        lock (_env.Gate)
        {
            _closed = true;
            _pendingAttach = null;
            _store.RemoveReceiver(this);
        }
    }
}
