using Azure.Messaging.ServiceBus;

namespace LlmQueue.Transport.ServiceBus;

/// <summary>
/// Settles one delivery where it was locked: through the receiver that received it (requests) or the processor's
/// arguments (callbacks). Never with the caller's token: a delivery served during the drain must still be settled.
/// </summary>
internal sealed record ServiceBusSettler(
    string EntityPath,
    ServiceBusReceivedMessage Message,
    Func<Task> CompleteAsync,
    Func<Task> AbandonAsync,
    Func<string, string, Task> DeadLetterAsync)
{
    public static ServiceBusSettler Of(ServiceBusReceiver receiver, ServiceBusReceivedMessage message) => new(
        receiver.EntityPath,
        message,
        () => receiver.CompleteMessageAsync(message, CancellationToken.None),
        () => receiver.AbandonMessageAsync(message, cancellationToken: CancellationToken.None),
        (reason, description) => receiver.DeadLetterMessageAsync(message, reason, description, CancellationToken.None));

    public static ServiceBusSettler Of(ProcessMessageEventArgs args) => new(
        args.EntityPath,
        args.Message,
        () => args.CompleteMessageAsync(args.Message, CancellationToken.None),
        () => args.AbandonMessageAsync(args.Message, cancellationToken: CancellationToken.None),
        (reason, description) => args.DeadLetterMessageAsync(args.Message, reason, description, CancellationToken.None));
}
