using System.Collections.Concurrent;
using Amqp;
using Amqp.Framing;
using Amqp.Handler;

namespace LlmQueue.TestKit.ServiceBus.Amqp;

/// <summary>
/// Hooks into AMQPNetLite's connection events: writes the 16-byte lock token as the delivery tag of every outgoing
/// message (the SDK reads the lock token from the tag), tracks open connections so tests can drop them, and shows
/// the <see cref="SessionWindowGuard"/> each session the peer begins.
/// </summary>
internal sealed class BrokerProtocolHandler(SessionWindowGuard windows) : IHandler
{
    private readonly ConcurrentDictionary<Connection, byte> _connections = new();

    public int ConnectionCount => _connections.Count;

    public bool CanHandle(EventId id) => id is EventId.SendDelivery or EventId.ConnectionAccept or EventId.SessionRemoteOpen;

    public void Handle(Event protocolEvent)
    {
        if (protocolEvent.Id == EventId.SendDelivery && protocolEvent.Context is IDelivery { Message: LockedDelivery locked } delivery)
        {
            delivery.Tag = locked.LockToken.ToByteArray();
        }
        else if (protocolEvent is { Id: EventId.SessionRemoteOpen, Session: { } session, Context: Begin begin })
        {
            windows.OnRemoteBegin(session, begin);
        }
        else if (protocolEvent.Id == EventId.ConnectionAccept && protocolEvent.Connection is { } connection)
        {
            _connections.TryAdd(connection, 0);
            connection.AddClosedCallback((sender, _) => _connections.TryRemove((Connection)sender, out var _));
        }
    }

    /// <summary>Closes every client connection with amqp:connection:forced; returns how many were open.</summary>
    public int DropConnections(string description)
    {
        var open = _connections.Keys.ToList();
        foreach (var connection in open)
        {
            _connections.TryRemove(connection, out _);
            try
            {
                connection.Close(TimeSpan.Zero, new Error(ErrorCode.ConnectionForced) { Description = description });
            }
#pragma warning disable CA1031 // The connection may already be closing; dropping is best effort.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        return open.Count;
    }
}
