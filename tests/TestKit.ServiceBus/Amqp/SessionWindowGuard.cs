using System.Reflection;
using System.Runtime.CompilerServices;
using Amqp;
using Amqp.Framing;
using Amqp.Types;

namespace LlmQueue.TestKit.ServiceBus.Amqp;

/// <summary>
/// Keeps AMQPNetLite from stalling a session whose peer advertises an unbounded incoming window, as the Azure SDK does
/// (incoming-window = uint.MaxValue). AMQPNetLite (2.5.5) sets its outgoing window on every received flow to
/// next-incoming-id + incoming-window - next-outgoing-id, and advances next-outgoing-id only after a transfer is on the
/// wire, outside the session lock. A flow the peer sends after reading that transfer, handled in between, is one ahead:
/// the sum wraps to 0, and the session holds back every later delivery until the peer's next flow. The SDK sends a flow
/// only when it wants more credit, and a receiver waiting with credit wants none: the link stalled for good (or until a
/// receive timed out), a few times in a thousand deliveries. After each send the guard looks at such a session's window
/// and, when it has wrapped, hands the session a flow of its own that reopens it, which writes what was held back.
/// </summary>
internal sealed class SessionWindowGuard
{
    // AMQPNetLite keeps the session window, its transfer count and flow handling internal; read and driven by reflection.
    private static readonly FieldInfo s_outgoingWindow = SessionField("outgoingWindow");
    private static readonly FieldInfo s_nextOutgoingId = SessionField("nextOutgoingId");
    private static readonly FieldInfo s_sequenceValue = s_nextOutgoingId.FieldType.GetField("sequenceNumber", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException("AMQPNetLite's SequenceNumber has no sequenceNumber field any more.");
    private static readonly MethodInfo s_onCommand = typeof(Session).GetMethod(
        "OnCommand", BindingFlags.Instance | BindingFlags.NonPublic, [typeof(DescribedList), typeof(ByteBuffer)])
        ?? throw new InvalidOperationException("AMQPNetLite's Session has no OnCommand(DescribedList, ByteBuffer) any more.");

    private readonly ConditionalWeakTable<Session, object> _unbounded = [];

    /// <summary>Notes a session whose peer began it with an unbounded incoming window.</summary>
    public void OnRemoteBegin(Session session, Begin begin)
    {
        if (begin.IncomingWindow == uint.MaxValue)
        {
            _unbounded.AddOrUpdate(session, begin);
        }
    }

    /// <summary>Call after every send on <paramref name="link"/>: reopens its session's window if a racing flow wrapped it.</summary>
    public void AfterSend(Link link)
    {
        var session = link.Session;
        if (!_unbounded.TryGetValue(session, out _) || (uint)s_outgoingWindow.GetValue(session)! != 0)
        {
            return;
        }

        // The peer's window has no end: any flow restores it. int.MaxValue, not uint.MaxValue, so that a transfer still
        // being counted while this runs cannot wrap the sum again.
        var nextOutgoingId = (uint)(int)s_sequenceValue.GetValue(s_nextOutgoingId.GetValue(session))!;
        try
        {
            s_onCommand.Invoke(session, [new Flow { NextIncomingId = nextOutgoingId, IncomingWindow = int.MaxValue, NextOutgoingId = 0, OutgoingWindow = 0 }, null]);
        }
        catch (TargetInvocationException)
        {
            // The session is closing under the write: nothing it held back can be delivered any more.
        }
    }

    private static FieldInfo SessionField(string name) =>
        typeof(Session).GetField(name, BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException($"AMQPNetLite's Session has no {name} field any more.");
}
