namespace LlmQueue.TestKit.Serving;

/// <summary>A message found in a dead-letter queue, with the reason the worker (or broker) gave.</summary>
public sealed record DeadLetter(byte[] Body, string? Reason, string? Description, string? MessageId);
