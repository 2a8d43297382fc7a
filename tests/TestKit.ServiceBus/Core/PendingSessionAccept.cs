namespace LlmQueue.TestKit.ServiceBus.Core;

/// <summary>An accept-next-session attach waiting for a session with messages.</summary>
internal sealed record PendingSessionAccept(IDeliveryTarget Receiver, DateTime Deadline);
