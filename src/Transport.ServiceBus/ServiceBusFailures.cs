using Azure.Identity;
using Azure.Messaging.ServiceBus;

namespace LlmQueue.Transport.ServiceBus;

/// <summary>What an SDK exception means for this transport: a final refusal of an entity, or something worth retrying.</summary>
internal static class ServiceBusFailures
{
    /// <summary>
    /// True when sending to (or receiving from) the same entity again cannot succeed until an operator changes something:
    /// the entity does not exist or is disabled, the identity lacks the right, the credential cannot be obtained, or the
    /// entity refuses the message as sent (a session entity and no SessionId, a message over its size limit).
    /// </summary>
    public static bool IsPermanent(Exception exception) => exception switch
    {
        ServiceBusException { Reason: ServiceBusFailureReason.MessagingEntityNotFound or ServiceBusFailureReason.MessagingEntityDisabled
            or ServiceBusFailureReason.MessageSizeExceeded } => true,
        UnauthorizedAccessException or AuthenticationFailedException or CredentialUnavailableException => true,
        // The SDK's mapping of amqp:not-allowed, e.g. "The SessionId was not set on a message, and it cannot be sent to the entity".
        InvalidOperationException when exception is not ObjectDisposedException => true,
        _ => false,
    };

    /// <summary>One line for logs and dead-letter descriptions.</summary>
    public static string Describe(Exception exception) => exception switch
    {
        ServiceBusException { Reason: ServiceBusFailureReason.MessagingEntityNotFound } sb => $"no such entity ({FirstLine(sb.Message)})",
        ServiceBusException { Reason: ServiceBusFailureReason.MessagingEntityDisabled } sb => $"the entity is disabled ({FirstLine(sb.Message)})",
        ServiceBusException sb => $"{sb.Reason}: {FirstLine(sb.Message)}",
        UnauthorizedAccessException => $"not authorized ({FirstLine(exception.Message)}); the identity needs the Service Bus data role on the entity",
        AuthenticationFailedException or CredentialUnavailableException => $"no Entra ID token ({FirstLine(exception.Message)})",
        _ => FirstLine(exception.Message),
    };

    /// <summary>SDK messages append a help link and a stack of details on later lines.</summary>
    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }
}
