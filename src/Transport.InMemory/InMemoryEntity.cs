using System.Threading.Channels;

namespace LlmQueue.Transport.InMemory;

/// <summary>One queue (an "entity", as Service Bus says): FIFO, unbounded, closed when deleted.</summary>
public sealed class InMemoryEntity
{
    private readonly Channel<StoredMessage> _messages = Channel.CreateUnbounded<StoredMessage>();
    private int _unsettled;

    internal InMemoryEntity(string name) => Name = name;

    public string Name { get; }

    /// <summary>Messages waiting for a consumer (not those delivered and unsettled).</summary>
    public int Count => _messages.Reader.Count;

    /// <summary>Messages delivered to a consumer and not settled yet.</summary>
    public int Unsettled => Volatile.Read(ref _unsettled);

    internal ChannelReader<StoredMessage> Reader => _messages.Reader;

    /// <summary>Takes the next waiting message, if any (tests reading a dead-letter queue).</summary>
    public bool TryTake(out StoredMessage message) => _messages.Reader.TryRead(out message!);

    internal void MarkDelivered() => Interlocked.Increment(ref _unsettled);

    internal void MarkSettled() => Interlocked.Decrement(ref _unsettled);

    internal bool TryEnqueue(StoredMessage message) => _messages.Writer.TryWrite(message);

    internal void Close() => _messages.Writer.TryComplete();
}
