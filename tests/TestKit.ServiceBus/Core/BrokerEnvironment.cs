namespace LlmQueue.TestKit.ServiceBus.Core;

/// <summary>What every part of the broker shares: the state lock, the clock, the event log and the fault log.</summary>
internal sealed class BrokerEnvironment(ServiceBusTestBrokerOptions options)
{
    /// <summary>Guards all entity state. AMQPNetLite calls back outside its own locks, so sending under it is safe.</summary>
    public object Gate { get; } = new();

    public ServiceBusTestBrokerOptions Options { get; } = options;

    public EventLog Events { get; } = new();

    public DateTime UtcNow => Options.TimeProvider.GetUtcNow().UtcDateTime;

    public void Log(string line)
    {
        try
        {
            Options.Log?.Invoke(line);
        }
#pragma warning disable CA1031 // A faulty log callback must not break the broker.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    public void Record(ServiceBusTestEventKind kind, string entityPath, StoredMessage? message, string? detail = null, string? sessionId = null) =>
        Events.Append(new ServiceBusTestEvent(
            Options.TimeProvider.GetUtcNow(),
            kind,
            entityPath,
            message?.SequenceNumber ?? 0,
            message?.MessageId,
            message?.SessionId ?? sessionId,
            message is null ? 0 : message.DeliveryCount + 1,
            detail));
}
