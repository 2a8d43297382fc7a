namespace LlmQueue.TestKit.ServiceBus.Core;

/// <summary>Something a sender can send to: a queue or a topic.</summary>
internal interface IEnqueueTarget
{
    string Path { get; }

    /// <summary>Why the entity cannot take the message (e.g. no SessionId for a session entity); null if it can.</summary>
    string? Refusal(IncomingMessage message);

    /// <summary>Stores (or schedules) the message; returns its sequence number.</summary>
    long Enqueue(IncomingMessage message);

    /// <summary>Removes a scheduled message that is not yet due; false if there is none with that number.</summary>
    bool CancelScheduled(long sequenceNumber);
}
