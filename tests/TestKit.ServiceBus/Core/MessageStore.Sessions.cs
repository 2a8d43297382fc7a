namespace LlmQueue.TestKit.ServiceBus.Core;

/// <summary>Sessions: one receiver holds a session's lock and gets that session's messages in order.</summary>
internal sealed partial class MessageStore
{
    private readonly Dictionary<string, SessionEntry> _sessions = new(StringComparer.Ordinal);
    private readonly List<PendingSessionAccept> _pendingAccepts = [];

    public int SessionLockRenewals { get; private set; }

    /// <summary>
    /// A session receiver attaches: a named session is locked at once (or refused if another receiver holds it);
    /// with no name, the session with the oldest available message is locked, or the receiver waits until the deadline.
    /// </summary>
    public void RequestSession(IDeliveryTarget receiver, string? sessionId, DateTime deadline)
    {
        if (sessionId is not null)
        {
            var named = GetOrAddSession(sessionId);
            if (named.Holder is not null)
            {
                receiver.OnSessionRefused(ErrorConditions.SessionCannotBeLocked,
                    $"The requested session '{sessionId}' cannot be accepted. It may be locked by another receiver.");
                return;
            }

            LockSession(named, receiver);
            Pump();
            return;
        }

        if (NextFreeSessionWithMessages() is { } next)
        {
            LockSession(next, receiver);
            Pump();
            return;
        }

        _pendingAccepts.Add(new PendingSessionAccept(receiver, deadline));
    }

    /// <summary>Extends a session lock (and the locks of its delivered messages); null if the session is not locked.</summary>
    public DateTime? RenewSessionLock(string sessionId)
    {
        var now = _env.UtcNow;
        if (!_sessions.TryGetValue(sessionId, out var session) || session.Holder is null || session.LockedUntil <= now)
        {
            return null;
        }

        session.LockedUntil = now + Options.LockDuration;
        foreach (var message in _locked.Values.Where(m => m.SessionId == sessionId))
        {
            message.LockedUntil = session.LockedUntil;
        }

        SessionLockRenewals++;
        _env.Record(ServiceBusTestEventKind.SessionLockRenewed, Path, message: null,
            session.LockedUntil.ToString("O", System.Globalization.CultureInfo.InvariantCulture), sessionId);
        return session.LockedUntil;
    }

    /// <summary>True if the session exists and its lock is held and current.</summary>
    public bool IsSessionLocked(string sessionId) =>
        _sessions.TryGetValue(sessionId, out var session) && session.Holder is not null && session.LockedUntil > _env.UtcNow;

    public byte[]? GetSessionState(string sessionId) => _sessions.TryGetValue(sessionId, out var session) ? session.State : null;

    public void SetSessionState(string sessionId, byte[]? state) => GetOrAddSession(sessionId).State = state;

    private SessionEntry GetOrAddSession(string sessionId)
    {
        if (!_sessions.TryGetValue(sessionId, out var session))
        {
            session = new SessionEntry(sessionId);
            _sessions.Add(sessionId, session);
        }

        return session;
    }

    private void LockSession(SessionEntry session, IDeliveryTarget receiver)
    {
        session.Holder = receiver;
        session.LockedUntil = _env.UtcNow + Options.LockDuration;
        _env.Record(ServiceBusTestEventKind.SessionLocked, Path, message: null, detail: null, session.Id);
        // Last: completing the attach may run the receiver's first flow (and so Pump) on this thread.
        receiver.OnSessionLocked(session.Id, session.LockedUntil);
    }

    private SessionEntry? NextFreeSessionWithMessages()
    {
        foreach (var sequenceNumber in _available)
        {
            if (_messages[sequenceNumber].SessionId is { } id && _sessions.TryGetValue(id, out var session) && session.Holder is null)
            {
                return session;
            }
        }

        return null;
    }

    private void PumpSessions()
    {
        while (_pendingAccepts.Count > 0 && NextFreeSessionWithMessages() is { } free)
        {
            var waiting = _pendingAccepts[0];
            _pendingAccepts.RemoveAt(0);
            LockSession(free, waiting.Receiver);
        }

        foreach (var session in _sessions.Values.ToList())
        {
            while (session.Holder is { Credit: > 0 } holder && FirstAvailable(session.Id) is { } message)
            {
                if (!Deliver(message, holder, session.LockedUntil))
                {
                    ReleaseSession(session, lockLost: false);
                }
            }
        }
    }

    private void SweepSessions(DateTime now)
    {
        foreach (var session in _sessions.Values.Where(s => s.Holder is not null && s.LockedUntil <= now).ToList())
        {
            ReleaseSession(session, lockLost: true);
        }

        foreach (var waiting in _pendingAccepts.Where(p => p.Deadline <= now).ToList())
        {
            _pendingAccepts.Remove(waiting);
            waiting.Receiver.OnSessionRefused(ErrorConditions.Timeout,
                $"No session with messages became available on '{Path}' before the accept timed out.");
        }
    }

    /// <summary>Ends a session lock; its unsettled messages count a failed delivery and become available again.</summary>
    private void ReleaseSession(SessionEntry session, bool lockLost)
    {
        var holder = session.Holder;
        session.Holder = null;
        foreach (var message in _locked.Values.Where(m => m.SessionId == session.Id).ToList())
        {
            _locked.Remove(message.LockToken);
            message.Holder = null;
            _env.Record(ServiceBusTestEventKind.LockExpired, Path, message);
            CountFailedDelivery(message);
        }

        _env.Record(ServiceBusTestEventKind.SessionReleased, Path, message: null, lockLost ? "lock expired" : "receiver closed", session.Id);
        if (lockLost && holder is not null)
        {
            _receivers.Remove(holder);
            holder.OnSessionLockLost();
        }
    }
}
