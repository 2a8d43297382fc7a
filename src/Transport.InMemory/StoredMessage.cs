namespace LlmQueue.Transport.InMemory;

/// <summary>A message in an in-memory queue and how often it was delivered before.</summary>
public sealed record StoredMessage(OutboundMessage Message, int DeliveryCount);
