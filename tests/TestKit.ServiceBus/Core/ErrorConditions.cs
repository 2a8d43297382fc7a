namespace LlmQueue.TestKit.ServiceBus.Core;

/// <summary>AMQP error conditions Service Bus uses and the SDK maps to its failure reasons.</summary>
internal static class ErrorConditions
{
    public const string MessageLockLost = "com.microsoft:message-lock-lost";
    public const string SessionLockLost = "com.microsoft:session-lock-lost";
    public const string SessionCannotBeLocked = "com.microsoft:session-cannot-be-locked";
    public const string Timeout = "com.microsoft:timeout";
    public const string MessageNotFound = "com.microsoft:message-not-found";
    public const string ArgumentError = "com.microsoft:argument-error";
}
