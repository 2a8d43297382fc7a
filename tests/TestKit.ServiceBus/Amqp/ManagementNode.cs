using System.Collections;
using Amqp;
using Amqp.Framing;
using Amqp.Types;
using LlmQueue.TestKit.ServiceBus.Core;

namespace LlmQueue.TestKit.ServiceBus.Amqp;

/// <summary>
/// An entity's $management node: the com.microsoft operations the SDK sends (lock renewal, session lock and state,
/// settlement by lock token, scheduling, peek, deferred receive). Responses carry statusCode / statusDescription.
/// </summary>
internal sealed class ManagementNode(BrokerEnvironment env, IEnqueueTarget? sendTarget, MessageStore? store, string entityPath) : IRequestHandler
{
    private const string Prefix = "com.microsoft:";

    public Message Handle(Message request)
    {
        var operation = request.ApplicationProperties?.Map.TryGetValue("operation", out var value) == true ? value as string : null;
        try
        {
            var body = (request.Body as Map) ?? [];
            return operation switch
            {
                Prefix + "renew-lock" => RenewLock(body),
                Prefix + "renew-session-lock" => RenewSessionLock(body),
                Prefix + "update-disposition" => UpdateDisposition(body),
                Prefix + "schedule-message" => Schedule(body),
                Prefix + "cancel-scheduled-message" => CancelScheduled(body),
                Prefix + "peek-message" => Peek(body),
                Prefix + "receive-by-sequence-number" => ReceiveBySequenceNumber(body),
                Prefix + "get-session-state" => GetSessionState(body),
                Prefix + "set-session-state" => SetSessionState(body),
                _ => Response(501, $"Operation '{operation ?? "none"}' is not supported by the test broker."),
            };
        }
#pragma warning disable CA1031 // A malformed request gets a 400 response, never an exception into the listener.
        catch (Exception exception) when (exception is InvalidCastException or FormatException or KeyNotFoundException
            or ArgumentException or OverflowException or AmqpException or NullReferenceException)
#pragma warning restore CA1031
        {
            env.Log($"{entityPath}/$management: malformed {operation} request: {exception.Message}");
            return Response(400, $"Malformed {operation} request: {exception.Message}", errorCondition: ErrorConditions.ArgumentError);
        }
    }

    private Message RenewLock(Map body)
    {
        var receiveStore = RequireStore();
        var expirations = new List<DateTime>();
        foreach (var lockToken in Guids(body["lock-tokens"]))
        {
            if (receiveStore.RenewLock(lockToken) is not { } lockedUntil)
            {
                return LockLost(receiveStore);
            }

            expirations.Add(lockedUntil);
        }

        return Ok(new Map { ["expirations"] = expirations.ToArray() });
    }

    private Message RenewSessionLock(Map body)
    {
        var lockedUntil = RequireStore().RenewSessionLock(SessionIdOf(body) ?? string.Empty);
        return lockedUntil is { } until
            ? Ok(new Map { ["expiration"] = until })
            : Response(410, "The session lock has expired or was released.", errorCondition: ErrorConditions.SessionLockLost);
    }

    private Message UpdateDisposition(Map body)
    {
        var receiveStore = RequireStore();
        var status = (string)body["disposition-status"];
        var settlement = new Settlement(
            status switch
            {
                "completed" => SettlementKind.Complete,
                "abandoned" => SettlementKind.Abandon,
                "suspended" => SettlementKind.DeadLetter,
                "defered" or "deferred" => SettlementKind.Defer,
                _ => throw new ArgumentException($"unknown disposition-status '{status}'"),
            },
            body.TryGetValue("deadletter-reason", out var reason) ? reason as string : null,
            body.TryGetValue("deadletter-description", out var description) ? description as string : null,
            body.TryGetValue("properties-to-modify", out var properties) ? Properties(properties as Map) : null);
        foreach (var lockToken in Guids(body["lock-tokens"]))
        {
            if (receiveStore.Settle(lockToken, settlement) != SettleResult.Settled)
            {
                return LockLost(receiveStore);
            }
        }

        return Ok();
    }

    private Message Schedule(Map body)
    {
        var target = sendTarget ?? throw new ArgumentException($"'{entityPath}' cannot be sent to");
        var incoming = ((IEnumerable)body["messages"]).Cast<Map>()
            .SelectMany(entry => MessageCodec.ReadIncoming(MessageCodec.Decode((byte[])entry["message"])))
            .ToList();
        if (incoming.Select(target.Refusal).FirstOrDefault(r => r is not null) is { } refusal)
        {
            return Response(400, refusal, errorCondition: ErrorConditions.ArgumentError);
        }

        return Ok(new Map { ["sequence-numbers"] = incoming.Select(target.Enqueue).ToArray() });
    }

    private Message CancelScheduled(Map body)
    {
        var target = sendTarget ?? throw new ArgumentException($"'{entityPath}' cannot be sent to");
        foreach (var sequenceNumber in Longs(body["sequence-numbers"]))
        {
            target.CancelScheduled(sequenceNumber);
        }

        return Ok();
    }

    private Message Peek(Map body)
    {
        var peeked = RequireStore().Peek(
            Convert.ToInt64(body["from-sequence-number"], System.Globalization.CultureInfo.InvariantCulture),
            Convert.ToInt32(body["message-count"], System.Globalization.CultureInfo.InvariantCulture),
            SessionIdOf(body));
        if (peeked.Count == 0)
        {
            return Response(204, "No messages.");
        }

        var messages = new List();
        foreach (var message in peeked)
        {
            messages.Add(new Map { ["message"] = MessageCodec.Encode(MessageCodec.BuildDelivery(message, locked: false)) });
        }

        return Ok(new Map { ["messages"] = messages });
    }

    private Message ReceiveBySequenceNumber(Map body)
    {
        var receiveAndDelete = body.TryGetValue("receiver-settle-mode", out var mode) && Convert.ToInt64(mode, System.Globalization.CultureInfo.InvariantCulture) == 0;
        var received = RequireStore().ReceiveDeferred(Longs(body["sequence-numbers"]), receiveAndDelete);
        if (received is null)
        {
            return Response(404, "A requested message is not deferred in this entity.", errorCondition: ErrorConditions.MessageNotFound);
        }

        var messages = new List();
        foreach (var message in received)
        {
            messages.Add(new Map
            {
                ["lock-token"] = message.LockToken,
                ["message"] = MessageCodec.Encode(MessageCodec.BuildDelivery(message, locked: !receiveAndDelete)),
            });
        }

        return Ok(new Map { ["messages"] = messages });
    }

    private Message GetSessionState(Map body)
    {
        var receiveStore = RequireStore();
        var sessionId = SessionIdOf(body) ?? string.Empty;
        return receiveStore.IsSessionLocked(sessionId)
            ? Ok(new Map { ["session-state"] = receiveStore.GetSessionState(sessionId) })
            : Response(410, "The session lock has expired or was released.", errorCondition: ErrorConditions.SessionLockLost);
    }

    private Message SetSessionState(Map body)
    {
        var receiveStore = RequireStore();
        var sessionId = SessionIdOf(body) ?? string.Empty;
        if (!receiveStore.IsSessionLocked(sessionId))
        {
            return Response(410, "The session lock has expired or was released.", errorCondition: ErrorConditions.SessionLockLost);
        }

        receiveStore.SetSessionState(sessionId, body.TryGetValue("session-state", out var state) ? state as byte[] : null);
        return Ok();
    }

    private MessageStore RequireStore() => store ?? throw new ArgumentException($"'{entityPath}' cannot be received from");

    private static Message LockLost(MessageStore receiveStore) => receiveStore.Options.RequiresSession
        ? Response(410, "The session lock has expired or was released.", errorCondition: ErrorConditions.SessionLockLost)
        : Response(410, "The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.",
            errorCondition: ErrorConditions.MessageLockLost);

    private static string? SessionIdOf(Map body) => body.TryGetValue("session-id", out var id) ? id as string : null;

    private static IEnumerable<Guid> Guids(object value) => ((IEnumerable)value).Cast<object>().Select(item => (Guid)item);

    private static List<long> Longs(object value) =>
        [.. ((IEnumerable)value).Cast<object>().Select(item => Convert.ToInt64(item, System.Globalization.CultureInfo.InvariantCulture))];

    private static Dictionary<string, object?>? Properties(Map? map) =>
        map?.ToDictionary(pair => pair.Key.ToString() ?? string.Empty, pair => (object?)pair.Value, StringComparer.Ordinal);

    private static Message Ok(Map? body = null) => Response(200, "OK", body);

    private static Message Response(int status, string description, Map? body = null, string? errorCondition = null)
    {
        var response = new Message
        {
            ApplicationProperties = new ApplicationProperties(),
            BodySection = new AmqpValue { Value = body ?? [] },
        };
        // The SDK reads statusCode as an AMQP int and errorCondition as a symbol.
        response.ApplicationProperties.Map["statusCode"] = status;
        response.ApplicationProperties.Map["statusDescription"] = description;
        if (errorCondition is not null)
        {
            response.ApplicationProperties.Map["errorCondition"] = new Symbol(errorCondition);
        }

        return response;
    }
}
