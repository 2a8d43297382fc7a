using LlmQueue.Contracts;
using MassTransit;

namespace LlmQueue.Client.Tests;

/// <summary>Stands in for the worker: replies to each request's ReplyTo queue with what the test scripted.</summary>
internal sealed class FakeResponder(ResponderScript script) : IConsumer<GenerateRequest>
{
    public async Task Consume(ConsumeContext<GenerateRequest> context)
    {
        script.Received.Enqueue(context.Message);
        var replyTo = await context.GetSendEndpoint(new Uri($"queue:{context.Message.ReplyTo}"));
        foreach (var reply in script.Replies(context.Message))
        {
            await replyTo.Send(reply, reply.GetType(), context.CancellationToken);
        }
    }
}
