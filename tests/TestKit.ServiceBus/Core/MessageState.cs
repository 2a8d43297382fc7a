namespace LlmQueue.TestKit.ServiceBus.Core;

internal enum MessageState
{
    Scheduled,
    Available,
    Locked,
    Deferred,
}
