using LlmQueue.Contracts;
using MassTransit;

namespace LlmQueue.Client.Tests;

/// <summary>Subscribes to the published CancelGeneration like a worker replica would.</summary>
internal sealed class CancelListener(ResponderScript script) : IConsumer<CancelGeneration>
{
    public Task Consume(ConsumeContext<CancelGeneration> context)
    {
        script.RecordCancel(context.Message.RequestId);
        return Task.CompletedTask;
    }
}
