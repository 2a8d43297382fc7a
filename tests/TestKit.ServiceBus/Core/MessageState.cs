namespace LlmQueue.TestKit.ServiceBus.Core;

internal enum MessageState
{
    // First, so a new message starts in no counted state (MessageStore.SetState keeps its indexes by transitions).
    Available,
    Scheduled,
    Locked,
    Deferred,
}
