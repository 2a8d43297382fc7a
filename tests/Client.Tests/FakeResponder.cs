using LlmQueue.Contracts;
using LlmQueue.Transport;

namespace LlmQueue.Client.Tests;

/// <summary>Stands in for the worker on the in-process broker: replies to each request's replyTo with what the test scripted.</summary>
internal sealed class FakeResponder(ResponderScript script, IReplyPublisher replies) : IDeliveryHandler
{
    public async Task<Settlement> HandleRequestAsync(InboundMessage message)
    {
        var request = ContractCodec.Decode<GenerateRequest>(message.Body, message.ContentType);
        script.Received.Enqueue(request);
        foreach (var reply in script.Replies(request))
        {
            var encoded = reply switch
            {
                TokenChunk chunk => ContractCodec.Encode(chunk, WireFormat.Json),
                GenerateCompleted completed => ContractCodec.Encode(completed, WireFormat.Json),
                GenerateFailed failed => ContractCodec.Encode(failed, WireFormat.Json),
                _ => throw new ArgumentException($"Not a reply: {reply.GetType().Name}"),
            };
            await replies.PublishAsync(new ReplyAddress(request.ReplyTo!), encoded, CancellationToken.None);
        }

        return Settlement.Complete;
    }

    public Task<Settlement> HandleCallbackAsync(InboundMessage message) => Task.FromResult(Settlement.Complete);

    public void HandleCancel(InboundMessage message) =>
        script.RecordCancel(ContractCodec.Decode<CancelGeneration>(message.Body, message.ContentType).RequestId);
}
